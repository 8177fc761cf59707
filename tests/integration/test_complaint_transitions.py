"""Complaint transitions on a real database: the whole way from assigned to closed, forbidden
transitions and actors, withdrawal, a conflict of interest and a transfer.
"""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints import handling, resolution
from manyi.complaints.access import get_visible
from manyi.complaints.domain.model import TransitionError
from manyi.db import Database
from manyi.errors import Forbidden, InvalidInput, NotFound
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_service_helpers import DECIDED, NOW, handler_of, load, register

__all__ = ["cb"]  # fixture


def test_the_whole_way_from_assigned_to_closed(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    later = NOW + dt.timedelta(days=3)
    with db.session() as session:
        handling.start(session, handler, case, later)
        resolution.decide(
            session,
            handler,
            case,
            later,
            decision="已向客户致歉并优化叫号",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
            root_cause="高峰时段窗口不足",
            rectification_ref="ZG-2026-001",
        )
        resolution.close(session, handler, case, later, reason="accepted")
    closed = load(db, case)
    assert closed.state == "closed" and closed.close_reason == "accepted"
    assert not closed.breached and closed.next_check_at is None


def test_forbidden_transitions_and_actors(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler_name = handler_of(db, cb, case)
    handler = cb.caller(db, handler_name)
    other = cb.caller(db, "handler_a2" if handler_name == "handler_a" else "handler_a")
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        with pytest.raises(TransitionError):
            resolution.decide(
                session, handler, case, NOW, decision="x", reply_channel="phone", **DECIDED
            )
        with pytest.raises(Forbidden):
            handling.start(session, other, case, NOW)
        with pytest.raises(Forbidden):
            handling.start(session, manager, case, NOW)  # only the handler investigates
        with pytest.raises(TransitionError):
            resolution.close(session, handler, case, NOW, reason="accepted")
        with pytest.raises(TransitionError):
            resolution.reopen(session, manager, case, NOW, reason="客户不满意")
    with db.session() as session:
        handling.start(session, handler, case, NOW)
        with pytest.raises(InvalidInput):
            resolution.decide(
                session, handler, case, NOW, decision="", reply_channel="phone", **DECIDED
            )
    with db.session() as session, pytest.raises(InvalidInput):
        resolution.decide(
            session, handler, case, NOW, decision="答复", reply_channel="pigeon", **DECIDED
        )
    with db.session() as session:
        resolution.decide(
            session, handler, case, NOW, decision="答复", reply_channel="sms", **DECIDED
        )
        with pytest.raises(TransitionError):
            resolution.withdraw(session, handler, case, NOW, note="客户撤诉")
        with pytest.raises(Forbidden):
            resolution.reopen(session, handler, case, NOW, reason="客户不满意")
    with db.session() as session:
        resolution.reopen(
            session, manager, case, NOW + dt.timedelta(days=1), reason="客户不认可答复"
        )
    reopened = load(db, case)
    assert reopened.state == "investigating" and reopened.reopen_count == 1
    assert reopened.due_at == dt.datetime(2026, 3, 26, 16, 0, tzinfo=dt.UTC)  # fresh 15 days


def test_withdrawal_ends_the_case(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    handler = cb.caller(db, handler_of(db, cb, case))
    with db.session() as session:
        resolution.withdraw(session, handler, case, NOW, note="客户来电撤诉")
    assert load(db, case).state == "withdrawn"


def test_a_conflict_moves_the_case_to_someone_else_for_good(
    db: Database, cb: ComplaintBank
) -> None:
    case = register(db, cb)
    first = handler_of(db, cb, case)
    with db.session() as session:
        handling.declare_conflict(
            session, cb.caller(db, first), case, NOW, reason="投诉人是我的亲属"
        )
    second = handler_of(db, cb, case)
    assert second != first and load(db, case).state == "assigned"
    with db.session() as session, pytest.raises(InvalidInput):
        handling.reassign(
            session, cb.caller(db, "manager_sub_a"), case, NOW, handler_id=cb.staff[first]
        )


def test_transfer_routes_the_case_in_the_new_unit(db: Database, cb: ComplaintBank) -> None:
    case = register(db, cb)
    with db.session() as session:
        handling.transfer(
            session,
            cb.caller(db, "manager_hq"),
            case,
            NOW,
            unit_id=cb.unit("OUT-B"),
            note="业务发生在乙网点",
        )
    moved = load(db, case)
    assert moved.handler_id == cb.staff["handler_b"] and moved.responsible_unit_id == cb.unit(
        "OUT-B"
    )
    assert moved.due_at == dt.datetime(2026, 3, 25, 16, 0, tzinfo=dt.UTC)  # the clock runs on
    with db.session() as session, pytest.raises(NotFound):
        get_visible(session, cb.caller(db, "handler_a"), case)
