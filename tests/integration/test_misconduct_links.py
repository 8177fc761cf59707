"""Misconduct opened from where it is found, on a real database: the links on the complaint case
page, the scorecard and the suspicious-answers page, the new-case form prefilled from them, an
unknown or out-of-scope complaint or inspection refused with nothing stored; and a complaint's
rectification tasks shown on its case page (through `complaints.ports`)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.supervision import inspections, misconduct, rectification
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from manyi.supervision.misconduct_tables import MisconductCase
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.rect_helpers import actor
from tests.supervision_helpers import add_inspectors
from tests.web_helpers import csrf_of, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
NEW = "/supervision/misconduct/new"


def _complaint(db: Database, cb: ComplaintBank, unit: str, named: list[int]) -> tuple[int, str]:
    form = cb.hotline_form(responsible_unit_id=cb.unit(unit), named_staff_ids=named)
    received = FIXED_NOW - dt.timedelta(days=2)
    with db.session() as session:
        done = intake.register(
            session, system_caller("test"), form, received, registered_unit_id=cb.unit(unit)
        )
        return done.complaint.id, done.complaint.reference


def _cases(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(MisconductCase)) or 0)


def _submitted_visit(db: Database, bank: Bank) -> int:
    """A visit of insp.a at OUT-A, submitted with the critical item A2 failed."""
    me = actor(db, "insp.a")
    answers = {i.code: ("passed", "") for i in DEFAULT_ITEMS} | {"A2": ("failed", "未佩戴工号牌")}
    with db.session() as session:
        visit_id = inspections.schedule_visit(
            session,
            me,
            outlet_id=bank.unit("OUT-A"),
            kind="scheduled",
            planned_on=dt.date(2026, 11, 30),
            now=FIXED_NOW,
        )
        inspections.record_results(session, me, visit_id, answers, FIXED_NOW)
        inspections.submit_visit(session, me, visit_id, FIXED_NOW)
    return visit_id


def test_a_case_from_a_complaint_is_prefilled_checked_and_its_tasks_shown(
    db: Database, bank: Bank
) -> None:
    add_inspectors(db, bank)
    cb = build_complaint_bank(db, bank)
    complaint_id, reference = _complaint(db, cb, "OUT-A", [bank.staff["teller_a"]])
    _other_id, elsewhere = _complaint(db, cb, "OUT-B", [])
    client = signed_in_client(db, "insp.a")  # an inspector of branch A

    case_page = client.get(f"/complaints/{complaint_id}")
    assert f"source=complaint&amp;ref={reference}" in case_page.text
    assert 'data-testid="rectification-tasks"' not in case_page.text  # none opened yet
    form = client.get(NEW, params={"source": "complaint", "ref": reference})
    assert form.status_code == 200
    assert f'value="{reference}"' in form.text and 'value="2026-11-28"' in form.text
    assert f'<option value="{bank.staff["teller_a"]}" selected>' in form.text
    assert 'data-testid="named"' in form.text and "柜员甲" in form.text
    for ref in ("TS-NO-SUCH", elsewhere):  # unknown, and outside branch A: the same answer
        refused = client.get(NEW, params={"source": "complaint", "ref": ref})
        assert refused.status_code == 404 and f"没有投诉 {ref}" in refused.text

    values = {
        "csrf_token": csrf_of(client, NEW),
        "origin": "complaint",
        "origin_ref": elsewhere,
        "severity": "general",
        "staff_id": str(bank.staff["teller_a"]),
        "happened_on": "2026-11-28",
        "summary": "误导销售",
    }
    assert client.post("/supervision/misconduct", data=values).status_code == 422
    assert _cases(db) == 0
    opened = client.post(
        "/supervision/misconduct", data=values | {"origin_ref": reference}, follow_redirects=False
    )
    assert opened.status_code == 303 and _cases(db) == 1

    with db.session() as session:  # a task from the case's root cause, already overdue
        task_id = rectification.open_task(
            session,
            actor(db, "insp.a"),
            NewTask(
                source=Source.COMPLAINT,
                source_ref=f"{reference}, TS0",
                title="整改：叫号等候无人解释",
                detail="",
                unit_id=bank.unit("OUT-A"),
                owner_id=None,
                evidence_required="整改说明",
                due_on=FIXED_NOW.date() - dt.timedelta(days=1),
            ),
            now=FIXED_NOW - dt.timedelta(days=3),
        )
    shown = signed_in_client(db, "head_a").get(f"/complaints/{complaint_id}")
    assert 'data-testid="rectification-tasks"' in shown.text
    assert f'data-task="{task_id}"' in shown.text and "未开始" in shown.text
    assert 'data-testid="task-overdue"' in shown.text
    teller = signed_in_client(db, "teller_a")  # no complaints.view: no page at all
    assert teller.get(f"/complaints/{complaint_id}").status_code in (403, 404)


def test_a_case_from_a_failed_critical_item_and_from_a_survey_flag(
    db: Database, bank: Bank
) -> None:
    add_inspectors(db, bank)
    visit_id = _submitted_visit(db, bank)
    client = signed_in_client(db, "insp.a")
    card = client.get(f"/supervision/inspections/{visit_id}")
    assert 'data-testid="misconduct-A2"' in card.text
    form = client.get(NEW, params={"source": "inspection", "ref": f"{visit_id}:A2"})
    assert form.status_code == 200
    assert f'name="origin_ref" value="{visit_id}"' in form.text and 'value="A2"' in form.text
    assert "（不合格）" in form.text and "未佩戴工号牌" in form.text
    # The outlet's staff are listed first.
    options = form.text.split('id="staff_id"', 1)[1]
    first = options.split("<option", 3)[2]
    assert "甲网点" in first
    assert (
        client.get(NEW, params={"source": "inspection", "ref": f"{visit_id}:A1"}).status_code == 404
    )

    # A1 passed: not a finding; nothing stored.
    with db.session() as session, pytest.raises(InvalidInput, match="did not fail"):
        misconduct.open_case(
            session,
            actor(db, "insp.a"),
            misconduct.NewCase(
                origin="inspection",
                origin_ref=str(visit_id),
                item="A1",
                severity="minor",
                staff_id=bank.staff["teller_a"],
                happened_on=dt.date(2026, 11, 30),
                summary="x",
            ),
            now=FIXED_NOW,
        )
    # Outlet B's head cannot see the visit.
    with db.session() as session, pytest.raises(InvalidInput, match="no inspection visit"):
        misconduct.open_case(
            session,
            actor(db, "head.b"),
            misconduct.NewCase(
                origin="inspection",
                origin_ref=str(visit_id),
                item="A2",
                severity="minor",
                staff_id=bank.staff["teller_b"],
                happened_on=dt.date(2026, 11, 30),
                summary="x",
            ),
            now=FIXED_NOW,
        )
    assert _cases(db) == 0

    with db.session() as session:  # A2 made a rectification task, then a case from A2
        task_id = inspections.failed_item_to_task(
            session, actor(db, "insp.a"), visit_id, "A2", FIXED_NOW
        )
    values = {
        "csrf_token": csrf_of(client, NEW),
        "origin": "inspection",
        "origin_ref": str(visit_id),
        "item": "A2",
        "severity": "general",
        "staff_id": str(bank.staff["teller_a"]),
        "happened_on": "2026-11-30",
        "summary": "未佩戴工号牌",
    }
    opened = client.post("/supervision/misconduct", data=values, follow_redirects=False)
    assert opened.status_code == 303 and _cases(db) == 1
    case_page = client.get(opened.headers["location"])
    assert 'data-testid="origin-task"' in case_page.text and f"#{task_id}" in case_page.text

    flagged = client.get(
        NEW,
        params={
            "source": "survey_flag",
            "ref": "fast_top_burst:teller.a:2026-11-27",
            "staff": "teller.a",
        },
    )
    assert flagged.status_code == 200
    assert f'<option value="{bank.staff["teller_a"]}" selected>' in flagged.text
    assert 'value="2026-11-27"' in flagged.text
    assert '<option value="survey" selected>' in flagged.text
    stranger = client.get(
        NEW, params={"source": "survey_flag", "ref": "x", "staff": "teller.b"}
    )  # a teller of branch B is not in branch A's scope
    assert stranger.status_code == 404
