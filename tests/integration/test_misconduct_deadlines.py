"""The worker's watch over misconduct investigations on a real database: the investigator warned
when the deadline is near, the responsible managers told when it is overdue, each once; a case
whose findings are in is left alone; and two workers on PostgreSQL never send a notice twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.supervision import misconduct
from manyi.supervision.misconduct_deadlines import DeadlineReport, scan
from manyi.supervision.misconduct_tables import MisconductCase, MisconductDeadlineNotice
from tests.conftest import FIXED_NOW, Bank
from tests.rect_helpers import actor
from tests.supervision_helpers import add_inspectors


def at(day: int) -> dt.datetime:
    """10:00 in Beijing on that day of December 2026."""
    return dt.datetime(2026, 12, day, 2, 0, tzinfo=dt.UTC)


def open_case(db: Database, bank: Bank) -> int:
    """A malignant case of teller A opened by branch A's inspector on Monday 30 November: five
    working days, due Monday 7 December, at risk from Thursday 3 December."""
    with db.session() as session:
        return misconduct.open_case(
            session,
            actor(db, "insp.a"),
            misconduct.NewCase(
                origin="report",
                origin_ref="客户来电",
                severity="malignant",
                staff_id=bank.staff["teller_a"],
                happened_on=dt.date(2026, 11, 29),
                summary="与客户争吵",
            ),
            now=FIXED_NOW,
        )


def told(db: Database, staff_id: int) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(NotifyMessage)
                .where(NotifyMessage.recipient_staff_id == staff_id)
            )
            or 0
        )


def test_warned_when_at_risk_then_the_managers_told_when_overdue(db: Database, bank: Bank) -> None:
    people = add_inspectors(db, bank)
    case_id = open_case(db, bank)
    done = open_case(db, bank)
    with db.session() as session:
        me = actor(db, "insp.a")
        misconduct.start_investigation(session, me, done, now=FIXED_NOW)
        misconduct.record_findings(session, me, done, findings="属实", now=FIXED_NOW)
    with db.read() as session:
        look = session.get_one(MisconductCase, case_id).deadline_check_at
    assert look == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)  # 3 Dec 00:00 in Beijing
    assert scan(db, FIXED_NOW).done == 0
    assert scan(db, at(2)).done == 0

    assert scan(db, at(3)).warned == 1
    assert scan(db, at(4)).done == 0  # once
    assert told(db, people["insp.a"]) == 1  # the opener: nobody investigates yet
    assert told(db, bank.staff["head_a"]) == 0
    assert scan(db, at(7)).done == 0  # still due today

    report = scan(db, at(8))
    assert (report.warned, report.overdue) == (0, 1)
    assert told(db, people["insp.a"]) == 2
    assert told(db, bank.staff["head_a"]) == 1  # the outlet's responsible manager
    assert told(db, bank.staff["teller_a"]) == 0  # never about their own case
    assert told(db, bank.staff["manager_br_a"]) == 0  # a complaint manager sees no cases
    assert scan(db, at(20)).done == 0
    with db.read() as session:
        assert session.get_one(MisconductCase, case_id).deadline_check_at is None
        steps = session.execute(
            select(MisconductDeadlineNotice.case_id, MisconductDeadlineNotice.step).order_by(
                MisconductDeadlineNotice.id
            )
        ).all()
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "misconduct_case",
                AuditEvent.entity_id == str(case_id),
            )
        ).all()
        message = session.scalars(
            select(NotifyMessage).where(NotifyMessage.recipient_staff_id == bank.staff["head_a"])
        ).one()
    assert [tuple(s) for s in steps] == [(case_id, "at_risk"), (case_id, "overdue")]
    assert actions == [
        "misconduct.opened",
        "misconduct.deadline_at_risk",
        "misconduct.deadline_overdue",
    ]
    assert message.data["url"] == f"/supervision/misconduct/{case_id}"
    assert "柜员甲" not in message.body  # the inbox names no one


@pytest.mark.postgres
def test_two_workers_never_send_a_deadline_notice_twice(db: Database, bank: Bank) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    add_inspectors(db, bank)
    cases = [open_case(db, bank) for _ in range(20)]
    reports: list[DeadlineReport] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        reports.append(scan(db, at(8), batch=7))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.overdue for r in reports) == len(cases)
    with db.read() as session:
        notices = session.scalar(select(func.count()).select_from(MisconductDeadlineNotice))
    assert notices == len(cases)
    assert told(db, bank.staff["head_a"]) == len(cases)  # each case once


def test_the_demo_has_a_case_at_risk_and_one_overdue_from_its_findings(db: Database) -> None:
    from manyi import demo
    from manyi.complaints import demo as demo_complaints
    from manyi.complaints import facts
    from manyi.supervision import demo_links, demo_misconduct
    from manyi.supervision.complaints_adapters import ComplaintTasks

    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        demo_complaints.seed(session, FIXED_NOW)
        demo_misconduct.seed(session, FIXED_NOW)
    with db.session() as session:
        assert demo_links.seed(session, FIXED_NOW) == 2
    with db.session() as session:
        assert demo_links.seed(session, FIXED_NOW) == 0
    report = scan(db, FIXED_NOW)
    assert (report.warned, report.overdue) == (1, 1)
    with db.read() as session:
        reference = facts.reference_of_intake(session, demo_links.COMPLAINT)
        assert reference is not None
        tasks = ComplaintTasks().tasks_for_complaint(session, reference, FIXED_NOW)
        origins = session.scalars(
            select(MisconductCase.origin_ref).where(MisconductCase.origin == "complaint")
        ).all()
    assert len(tasks) == 1 and tasks[0].state == "open"
    assert origins == [reference]
