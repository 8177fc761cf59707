"""Bank-wide settings for head office only, and maker-checker on deadline policies (issue 16
#6), through the pages, on both engines.

A branch's administrator holds every permission in their subtree: they keep their expert roster
but may not change categories, deadline policies or the catalogue (403, with why). A category
takes effect at once at head office; a head-office administrator's policy change is only
proposed and takes effect when a *different* head-office administrator approves it; rejected
and withdrawn changes leave the policy as it was; two checkers at once approve it once. Every
step is on the audit chain.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.approvals.domain import Decision
from manyi.audit.tables import AuditEvent
from manyi.complaints import policy_store
from manyi.complaints.access import Caller
from manyi.complaints.tables import ComplaintCategory, ComplaintExpert, ComplaintPolicy
from manyi.counter.tables import CounterTransactionType
from manyi.db import Database
from manyi.errors import Conflict
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from tests.conftest import PASSWORD, SYSTEM
from tests.maker_checker_helpers import (  # noqa: F401 (fixture)
    Person,
    actions,
    catalogue_schema,
    changes,
    people_fixture,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

HEAD_OFFICE_ONLY = "只有总行管理员可以修改全行设置"


def default_policy(db: Database) -> str:
    with db.session() as session:
        code = session.scalar(select(ComplaintPolicy.code).where(ComplaintPolicy.is_default))
    assert code
    return code


def test_a_branch_admin_keeps_the_expert_roster_but_not_the_bank_wide_settings(
    db: Database, people: dict[str, Person]
) -> None:
    branch = people["admin.br.a"]
    before = default_policy(db)
    # They still open the settings and keep the roster of their own scope.
    page = branch.get("/complaints/settings?tab=policies")
    assert page.status_code == 200 and 'data-testid="head-office-only"' in page.text
    assert 'action="/complaints/settings/policy/new"' not in page.text  # read only
    with db.session() as session:
        expert_id = session.scalar(select(ComplaintExpert.staff_id))
        person = session.scalar(select(Staff).where(Staff.username == "expert.br.a"))
        assert expert_id is None and person is not None
        person_id = person.id
    saved = branch.post(
        "/complaints/settings/experts", staff_id=str(person_id), level="senior", active="on"
    )
    assert saved.status_code == 303, saved.text
    assert "分行专家" in branch.get("/complaints/settings?tab=experts").text

    # Categories, deadline policies and the catalogue: refused with why, nothing stored.
    refused = [
        branch.post(
            "/complaints/settings/categories",
            axis="channel",
            parent_code="electronic",
            code="electronic.video",
            name_zh="视频银行",
        ),
        branch.post("/complaints/settings/policy", code="cbirc-2020-workdays"),
        branch.post(
            "/complaints/settings/policy/close-after", code="cbirc-2020", close_after_days="14"
        ),
    ]
    schema = catalogue_schema(db, "deposit") | {"title": "changed"}
    refused.append(
        branch.post("/counter/catalogue/deposit", document=json.dumps(schema), reason="x")
    )
    for response in refused:
        assert response.status_code == 403, response.request.url
        assert HEAD_OFFICE_ONLY in response.text
    catalogue_page = branch.get("/counter/catalogue/deposit")
    assert catalogue_page.status_code == 200 and 'data-testid="editor"' not in catalogue_page.text
    with db.session() as session:
        assert (
            session.scalar(
                select(ComplaintCategory.id).where(ComplaintCategory.code == "electronic.video")
            )
            is None
        )
        versions = session.scalars(
            select(CounterTransactionType.version).where(CounterTransactionType.code == "deposit")
        ).all()
    assert list(versions) == [1]
    assert default_policy(db) == before and changes(db) == []


def test_a_category_takes_effect_at_once_at_head_office(
    db: Database, people: dict[str, Person]
) -> None:
    added = people["admin"].post(
        "/complaints/settings/categories",
        axis="channel",
        parent_code="electronic",
        code="electronic.video",
        name_zh="视频银行",
    )
    assert added.status_code == 303 and changes(db) == []
    assert "视频银行" in people["admin"].get(added.headers["location"]).text


def test_a_policy_change_waits_for_a_second_head_office_admin(
    db: Database, people: dict[str, Person]
) -> None:
    maker, checker = people["admin"], people["admin.hq2"]
    before = default_policy(db)
    proposed = maker.post("/complaints/settings/policy", code="cbirc-2020-workdays")
    assert proposed.headers["location"] == "/complaints/settings?tab=policies&proposed=1"
    assert default_policy(db) == before  # not yet in effect
    [(change, kind, state)] = changes(db)
    assert (kind, state) == ("complaint_policy.default", "pending")

    # The maker sees it waiting, with what it changes, and can only withdraw it.
    page = maker.get("/complaints/settings?tab=policies").text
    waiting = page.split('data-testid="pending-changes"')[1].split("</section>")[0]
    assert f"{before} → cbirc-2020-workdays" in waiting
    assert 'value="withdraw"' in waiting and 'value="approve"' not in waiting
    own = maker.post(f"/complaints/settings/changes/{change}", decision="approve")
    assert own.status_code == 403 and "另一位总行管理员" in own.text
    assert default_policy(db) == before
    # A branch's administrator is no checker either.
    branch = people["admin.br.a"].post(f"/complaints/settings/changes/{change}", decision="approve")
    assert branch.status_code == 403 and default_policy(db) == before

    # Another head-office administrator sees approve and reject, and approves.
    other = checker.get("/complaints/settings?tab=policies").text
    assert 'value="approve"' in other.split('data-testid="pending-changes"')[1]
    approved = checker.post(f"/complaints/settings/changes/{change}", decision="approve")
    assert approved.headers["location"] == "/complaints/settings?tab=policies&decided=approve"
    assert default_policy(db) == "cbirc-2020-workdays"
    assert changes(db) == [(change, "complaint_policy.default", "approved")]
    again = checker.post(f"/complaints/settings/changes/{change}", decision="approve")
    assert again.status_code == 409  # decided once
    assert actions(db, "complaint.policy.") == [
        "complaint.policy.propose",
        "complaint.policy.approve",
        "complaint.policy.default",
    ]
    with db.session() as session:
        events = {
            e.action: e
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action.startswith("complaint.policy."))
            )
        }
    assert events["complaint.policy.propose"].actor == "admin"
    assert events["complaint.policy.approve"].actor == "admin.hq2"


def test_rejected_and_withdrawn_changes_leave_the_policy_as_it_was(
    db: Database, people: dict[str, Person]
) -> None:
    maker, checker = people["admin"], people["admin.hq2"]
    maker.post("/complaints/settings/policy/close-after", code="cbirc-2020", close_after_days="14")
    maker.post("/complaints/settings/policy", code="cbirc-2020-workdays")
    (first, _, _), (second, _, _) = changes(db)
    page = checker.get("/complaints/settings?tab=policies").text
    assert "7 → 14" in page

    no_reason = checker.post(f"/complaints/settings/changes/{first}", decision="reject")
    assert no_reason.status_code == 422
    rejected = checker.post(
        f"/complaints/settings/changes/{first}", decision="reject", reason="与监管口径不符"
    )
    assert rejected.status_code == 303
    not_theirs = checker.post(
        f"/complaints/settings/changes/{second}", decision="withdraw", reason="x"
    )
    assert not_theirs.status_code == 403
    withdrawn = maker.post(
        f"/complaints/settings/changes/{second}", decision="withdraw", reason="提交有误"
    )
    assert withdrawn.status_code == 303
    with db.session() as session:
        policy = session.get(ComplaintPolicy, "cbirc-2020")
        assert policy is not None and policy.close_after_days == 7
    assert default_policy(db) == "cbirc-2020"
    assert [state for _, _, state in changes(db)] == ["rejected", "withdrawn"]
    assert actions(db, "complaint.policy.") == [
        "complaint.policy.propose",
        "complaint.policy.propose",
        "complaint.policy.reject",
        "complaint.policy.withdraw",
    ]
    with db.session() as session:
        reject = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "complaint.policy.reject")
        )
    assert reject is not None and "与监管口径不符" in str(reject.summary)
    assert 'data-change="' not in maker.get("/complaints/settings?tab=policies").text


def test_two_checkers_at_once_approve_it_once(db: Database, people: dict[str, Person]) -> None:
    """Two head-office administrators press 复核通过 at the same moment: one wins, the other is
    told it was decided; the change is applied and audited once (one filtered UPDATE)."""
    with db.session() as session:
        staff_service.create_staff(
            session,
            SYSTEM,
            username="admin.hq3",
            display_name="管理员丙",
            unit_id=people_unit(session, "admin"),
            roles=[Role.ADMINISTRATOR],
            password=PASSWORD,
        )
    rounds = 5  # the race is in the timing: several rounds, each must be decided once
    outcomes: list[str] = []

    def approve(username: str, change: int, gate: threading.Barrier) -> None:
        gate.wait(timeout=10)
        try:
            with db.session() as session:
                person = session.scalar(select(Staff).where(Staff.username == username))
                assert person is not None
                policy_store.decide_change(session, Caller.of(person), change, Decision.APPROVE)
            outcomes.append("approved")
        except Conflict:
            outcomes.append("conflict")

    for days in range(10, 10 + rounds):
        people["admin"].post(
            "/complaints/settings/policy/close-after", code="cbirc-2020", close_after_days=str(days)
        )
        change = changes(db)[-1][0]
        gate = threading.Barrier(2)
        threads = [
            threading.Thread(target=approve, args=(username, change, gate))
            for username in ("admin.hq2", "admin.hq3")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(outcomes) == ["approved"] * rounds + ["conflict"] * rounds
    assert (
        actions(db, "complaint.policy.")
        == [
            "complaint.policy.propose",
            "complaint.policy.approve",
            "complaint.policy.close_after",
        ]
        * rounds
    )
    with db.session() as session:
        policy = session.get(ComplaintPolicy, "cbirc-2020")
        assert policy is not None and policy.close_after_days == 10 + rounds - 1


def people_unit(session: Session, username: str) -> int:
    person = session.scalar(select(Staff).where(Staff.username == username))
    assert person is not None
    return person.unit_id
