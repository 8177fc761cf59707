"""The deadline scan: warnings as time runs out, supervision up the organisation, auto-close."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from manyi.complaints import handling, intake, resolution
from manyi.complaints.escalation import ScanReport, scan
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import Bank

NOW = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # received 14:00 Shanghai, 10 March
DUE = dt.datetime(2026, 3, 25, 16, 0, tzinfo=dt.UTC)  # 24:00 Shanghai, 25 March


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def register(db: Database, cb: ComplaintBank, named: list[int] | None = None) -> int:
    caller = cb.caller(db, "hotline")
    with db.session() as session:
        form = intake.ComplaintForm(
            intake="hotline",
            subject="理财产品收益与宣传不符",
            description="客户认为销售时夸大了收益。",
            complainant_phone="13812345678",
            responsible_unit_id=cb.unit("OUT-A"),
            named_staff_ids=named or [],
        )
        return intake.register(session, caller, form, NOW).complaint.id


def notes_to(db: Database, staff_id: int) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(NotifyMessage.subject)
                .where(NotifyMessage.recipient_staff_id == staff_id)
                .order_by(NotifyMessage.id)
            )
        )


def supervisions(db: Database, complaint_id: int) -> list[tuple[int, int, str]]:
    with db.session() as session:
        rows = session.execute(
            select(
                ComplaintSupervision.level, ComplaintSupervision.unit_id, ComplaintSupervision.state
            )
            .where(ComplaintSupervision.complaint_id == complaint_id)
            .order_by(ComplaintSupervision.level)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_warnings_then_supervision_level_by_level(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    with db.session() as session:
        handler = session.get(Complaint, case).handler_id  # type: ignore[union-attr]
    assert handler is not None
    assert scan(db, NOW + dt.timedelta(days=1)).done == 0
    # Half the 15 days: the handler and the outlet's head are warned, once however often it runs.
    half = NOW + dt.timedelta(days=8)
    assert scan(db, half).warned == 1
    assert scan(db, half + dt.timedelta(hours=1)).done == 0
    assert len(notes_to(db, handler)) == 2  # the assignment and the warning
    assert len(notes_to(db, cb.staff["head_a"])) == 1
    # 80 %: both again.
    assert scan(db, NOW + dt.timedelta(days=13)).warned == 1
    assert len(notes_to(db, handler)) == 3
    assert notes_to(db, cb.staff["head_a"]) == ["Complaint {reference} is at risk: due {due}"] * 2
    # One minute before the due instant nothing escalates; at it, the sub-branch supervises.
    assert scan(db, DUE - dt.timedelta(minutes=1)).escalated == 0
    report = scan(db, DUE)
    assert report.escalated == 1
    assert supervisions(db, case) == [(1, cb.unit("SUB-A"), "open")]
    assert scan(db, DUE + dt.timedelta(hours=5)).escalated == 0
    assert notes_to(db, cb.staff["manager_sub_a"])[-1].startswith(
        "Complaint {reference} is overdue"
    )
    # Still overdue when the supervision's three days pass: on to the branch.
    assert scan(db, DUE + dt.timedelta(days=3, minutes=1)).escalated == 1
    assert [s[:2] for s in supervisions(db, case)] == [(1, cb.unit("SUB-A")), (2, cb.unit("BR-A"))]
    with db.session() as session:
        stored = session.get(Complaint, case)
        assert stored is not None and stored.breached and stored.escalation_level == 2
    # The decision ends the supervision; a week without an answer closes the case.
    caller = cb.caller(db, next(n for n, i in cb.staff.items() if i == handler))
    decided_at = DUE + dt.timedelta(days=4)
    with db.session() as session:
        handling.start(session, caller, case, decided_at)
        resolution.decide(
            session,
            caller,
            case,
            decided_at,
            decision="已核实并答复",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
        )
    assert {s[2] for s in supervisions(db, case)} == {"resolved"}
    assert scan(db, decided_at + dt.timedelta(days=6)).closed == 0
    assert scan(db, decided_at + dt.timedelta(days=7, minutes=1)).closed == 1
    with db.session() as session:
        closed = session.get(Complaint, case)
        assert (
            closed is not None and closed.state == "closed" and closed.close_reason == "no_answer"
        )
        assert closed.next_check_at is None


def test_an_unassigned_case_warns_the_unit_head(db: Database, cb: ComplaintBank) -> None:
    everyone = [cb.staff[p] for p in ("handler_a", "handler_a2", "handler_sub_a", "hotline")]
    case = register(db, cb, named=everyone)
    with db.session() as session:
        assert session.get(Complaint, case).state == "registered"  # type: ignore[union-attr]
    assert scan(db, NOW + dt.timedelta(days=8)).warned == 1
    assert len(notes_to(db, cb.staff["head_a"])) == 1


@pytest.mark.postgres
def test_two_workers_never_escalate_the_same_case_twice(db: Database, cb: ComplaintBank) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    cases = [register(db, cb) for _ in range(30)]
    at = DUE + dt.timedelta(minutes=1)
    reports: list[ScanReport] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        reports.append(scan(db, at, batch=7))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.escalated for r in reports) == len(cases)
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(ComplaintSupervision))
        per_case = session.execute(
            select(ComplaintSupervision.complaint_id, func.count())
            .group_by(ComplaintSupervision.complaint_id)
            .having(func.count() > 1)
        ).all()
    assert count == len(cases) and per_case == []


@pytest.mark.postgres
def test_the_scan_holds_the_audit_head_for_one_case_not_a_batch(
    db: Database, cb: ComplaintBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 #3: every audited write waits for `audit_head`; the scan must not keep it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite: one write lock, see test_lock_scope)")
    from manyi.complaints import escalation

    cases = [register(db, cb) for _ in range(3)]
    free: list[bool] = []
    real_check = escalation.check

    def probing_check(*args: object, **kwargs: object) -> None:
        with db.engine.connect() as other:  # another connection, as a teller's request would be
            try:
                other.exec_driver_sql("SELECT seq FROM audit_head FOR UPDATE NOWAIT")
                free.append(True)
            except OperationalError:
                free.append(False)
            other.rollback()
        real_check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(escalation, "check", probing_check)
    report = scan(db, DUE + dt.timedelta(minutes=1), batch=10)
    assert report.escalated == len(cases)
    assert free == [True] * len(cases)  # before: locked from the first case's audit record on
