"""Misconduct cases on a real database: a severe case from report to bulletin (accountability
one level up, sanctions in force, the stars part's question, the inbox, the audit chain), who
sees a case (404 outside one's scope, never 403), and bad input refused with nothing stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from manyi.supervision import misconduct, misconduct_bulletins, misconduct_queries
from manyi.supervision.misconduct_tables import MisconductCase, MisconductSanction
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.web_helpers import csrf_of, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
NOW = FIXED_NOW  # Monday 30 November 2026, 10:00 in Beijing


@dataclass(frozen=True)
class Quarter:
    start: dt.date
    end: dt.date


def _actor(db: Database, username: str) -> object:
    with db.session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        return staff_service.actor_of(staff)


def _open(db: Database, bank: Bank, severity: str = "malignant") -> int:
    with db.session() as session:
        return misconduct.open_case(
            session,
            _actor(db, "admin"),  # type: ignore[arg-type]
            misconduct.NewCase(
                origin="report",  # a complaint origin must exist: test_misconduct_links.py
                origin_ref="客户来电",
                severity=severity,
                staff_id=bank.staff["teller_a"],
                happened_on=dt.date(2026, 11, 20),
                summary="与客户发生争吵并摔打物品",
            ),
            now=NOW,
        )


def test_a_severe_case_from_report_to_bulletin(db: Database, bank: Bank) -> None:
    with db.session() as session:  # the branch's responsible manager, one level up (BR-A)
        boss = staff_service.create_staff(
            session,
            SYSTEM,
            username="head.br.a",
            display_name="分行负责人甲",
            unit_id=bank.unit("BR-A"),
            roles=[Role.BRANCH_HEAD],
            password=PASSWORD,
        ).id
    case_id = _open(db, bank)
    admin = _actor(db, "admin")
    with db.session() as session:
        misconduct.start_investigation(session, admin, case_id, notes="调取录像", now=NOW)  # type: ignore[arg-type]
        misconduct.record_findings(session, admin, case_id, findings="情况属实", now=NOW)  # type: ignore[arg-type]
        parties = misconduct.decide_sanctions(
            session,
            admin,  # type: ignore[arg-type]
            case_id,
            ["demerit", "star_removal"],
            note="记过并取消服务明星资格",
            now=NOW,
        )
        assert [(p.role.value, p.staff_id) for p in parties] == [
            ("unit_head", bank.staff["head_a"]),
            ("parent_manager", boss),
        ]
    quarter = Quarter(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    with db.read() as session:  # not in force before it is finalised
        assert (
            misconduct_queries.sanctions_removing_star(session, bank.staff["teller_a"], quarter)
            == []
        )
        assert misconduct_queries.my_sanctions(session, bank.staff["teller_a"]) == []
    with db.session() as session:
        misconduct.finalise(session, admin, case_id, now=NOW)  # type: ignore[arg-type]
        draft_title, draft_body = misconduct_bulletins.draft(session, "/", case_id)
        assert "柜**" in draft_body and "柜员甲" not in draft_body
        bulletin = misconduct_bulletins.issue(
            session,
            admin,  # type: ignore[arg-type]
            case_id,
            scope_unit_code="SUB-A",
            title=draft_title,
            body=draft_body + "\n（柜员甲）",  # a full name typed in is masked on issue
            show_names=False,
            now=NOW,
        )
    with db.read() as session:
        removals = misconduct_queries.sanctions_removing_star(
            session, bank.staff["teller_a"], quarter
        )
        assert [(r.case_id, r.code, r.effective_on) for r in removals] == [
            (case_id, "star_removal", dt.date(2026, 11, 30))
        ]
        earlier = Quarter(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
        assert (
            misconduct_queries.sanctions_removing_star(session, bank.staff["teller_a"], earlier)
            == []
        )
        own = misconduct_queries.my_sanctions(session, bank.staff["teller_a"])
        assert [o.sanction.code for o in own] == ["demerit", "star_removal"]
        sent = session.scalars(
            select(NotifyMessage).where(NotifyMessage.data["bulletin"].as_integer() == bulletin)
        ).all()
        # OUT-A and SUB-A: teller.a and head.a (not OUT-B, not the branch above).
        assert sorted(m.recipient_staff_id for m in sent) == sorted(
            [bank.staff["teller_a"], bank.staff["head_a"]]
        )
        assert all("柜员甲" not in m.body and "（柜**）" in m.body for m in sent)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("misconduct.%"))
        ).all()
        assert actions == [
            "misconduct.opened",
            "misconduct.investigating",
            "misconduct.findings",
            "misconduct.sanctions",
            "misconduct.finalised",
            "misconduct.bulletin",
        ]
        summaries = " ".join(session.scalars(select(AuditEvent.summary)).all())
        assert "调取录像" not in summaries and "情况属实" not in summaries  # notes stay in the case


def test_a_case_is_seen_only_within_scope(db: Database, bank: Bank) -> None:
    case_id = _open(db, bank)
    head_a = signed_in_client(db, "head_a")
    page = head_a.get(f"/supervision/misconduct/{case_id}")
    assert page.status_code == 200 and "与客户发生争吵" in page.text
    assert f'data-case="{case_id}"' in head_a.get("/supervision/misconduct").text
    head_b = signed_in_client(db, "head_b")  # a branch head elsewhere: as if no case existed
    assert head_b.get(f"/supervision/misconduct/{case_id}").status_code == 404
    assert head_b.get(f"/supervision/misconduct/{case_id + 1}").status_code == 404
    assert f'data-case="{case_id}"' not in head_b.get("/supervision/misconduct").text
    token = csrf_of(head_b, "/account/password")
    refused = head_b.post(
        f"/supervision/misconduct/{case_id}/investigate", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    teller = signed_in_client(db, "teller_a")  # the staff member concerned: no case either
    assert teller.get(f"/supervision/misconduct/{case_id}").status_code == 404
    assert teller.get(f"/supervision/misconduct/{case_id}/bulletin").status_code == 404
    assert teller.get("/supervision/misconduct").status_code == 403  # the list is no secret
    mine = teller.get("/my/sanctions")
    assert mine.status_code == 200 and "与客户发生争吵" not in mine.text  # not final yet
    with db.read() as session:
        assert session.get_one(MisconductCase, case_id).state == "reported"


def test_bad_input_is_refused_and_nothing_is_stored(db: Database, bank: Bank) -> None:
    head_a = signed_in_client(db, "head_a")
    token = csrf_of(head_a, "/account/password")
    form = {
        "csrf_token": token,
        "origin": "report",
        "origin_ref": "客户来电",
        "severity": "catastrophic",
        "staff_id": str(bank.staff["teller_a"]),
        "happened_on": "2026-11-20",
        "summary": "态度生硬",
    }
    unknown = head_a.post("/supervision/misconduct", data=form)
    assert unknown.status_code == 422 and "catastrophic" in unknown.text
    elsewhere = head_a.post(
        "/supervision/misconduct",
        data=form | {"severity": "minor", "staff_id": str(bank.staff["teller_b"])},
    )
    assert elsewhere.status_code == 404
    future = head_a.post(
        "/supervision/misconduct", data=form | {"severity": "minor", "happened_on": "2027-01-01"}
    )
    assert future.status_code == 422
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(MisconductCase)) == 0
    opened = head_a.post("/supervision/misconduct", data=form | {"severity": "minor"})
    assert opened.status_code == 303
    case_id = int(opened.headers["location"].rsplit("/", 1)[1])
    step = f"/supervision/misconduct/{case_id}"
    assert head_a.post(step + "/investigate", data={"csrf_token": token}).status_code == 303
    assert head_a.post(step + "/findings", data={"csrf_token": token}).status_code == 422
    done = head_a.post(step + "/findings", data={"csrf_token": token, "findings": "属实"})
    assert done.status_code == 303
    flogging = head_a.post(step + "/sanctions", data={"csrf_token": token, "sanction": "flogging"})
    assert flogging.status_code == 422 and "flogging" in flogging.text
    early = head_a.post(step + "/bulletin", data={"csrf_token": token, "scope_unit": "OUT-A"})
    assert early.status_code == 409  # not finalised
    with db.read() as session:
        assert session.get_one(MisconductCase, case_id).state == "findings"
        assert session.scalar(select(func.count()).select_from(MisconductSanction)) == 0


def test_the_demo_has_a_finalised_case_with_a_bulletin_and_one_under_investigation(
    db: Database,
) -> None:
    from manyi import demo
    from manyi.supervision import demo_misconduct
    from manyi.supervision.misconduct_tables import MisconductBulletin, MisconductParty

    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        assert demo_misconduct.seed(session, NOW) == 2
    with db.session() as session:
        assert demo_misconduct.seed(session, NOW) == 0
        states = sorted(session.scalars(select(MisconductCase.state)))
        parties = sorted(session.scalars(select(MisconductParty.name)))
        bulletin = session.scalars(select(MisconductBulletin)).one()
    assert states == ["finalised", "investigating"]
    assert parties == ["王建华", "许志远"]  # the outlet head, and the Beijing branch's head
    assert bulletin.recipients > 10 and "刘*" in bulletin.body and "刘洋" not in bulletin.body


def test_a_rectification_task_follows_the_findings(db: Database, bank: Bank) -> None:
    from manyi.supervision.rectification_tables import RectificationTask

    case_id = _open(db, bank, severity="general")
    head_a = signed_in_client(db, "head_a")
    token = csrf_of(head_a, "/account/password")
    step = f"/supervision/misconduct/{case_id}"
    task = {
        "csrf_token": token,
        "title": "文明用语培训",
        "evidence_required": "培训签到表",
        "due_days": "10",
    }
    too_early = head_a.post(step + "/rectification", data=task)
    assert too_early.status_code == 409
    head_a.post(step + "/investigate", data={"csrf_token": token})
    head_a.post(step + "/findings", data={"csrf_token": token, "findings": "属实"})
    nonsense = head_a.post(step + "/rectification", data=task | {"due_days": "ten"})
    assert nonsense.status_code == 422
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(RectificationTask)) == 0
    assert head_a.post(step + "/rectification", data=task).status_code == 303
    page = head_a.get(step)
    assert 'data-testid="tasks"' in page.text and "文明用语培训" in page.text
    with db.read() as session:
        made = session.scalars(select(RectificationTask)).one()
        assert (made.source, made.source_ref) == ("misconduct", f"misconduct:{case_id}")
        assert made.unit_id == bank.unit("OUT-A")
        assert session.get_one(MisconductCase, case_id).rectification_task_id == made.id
