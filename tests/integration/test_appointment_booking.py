"""Booking appointments on SQLite and PostgreSQL: slots from the plan, the code, refusals that
store nothing, change and cancel by the link."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select, text

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.errors import ManyiError
from manyi.forecast.appointment_capacity import servable_arrivals
from manyi.org.model import UnitLevel
from manyi.reach import appointment_rules, appointments
from manyi.reach.appointment_slots import place, slots_for_day
from manyi.reach.appointment_tables import Appointment, AppointmentCode, AppointmentSlotCount
from manyi.workdays import entry
from tests.appointment_helpers import (
    OTHER_PHONE,
    PHONE,
    SATURDAY_10,
    TOMORROW_10,
    FixedCapacity,
    book,
    book_with_code,
    code_for,
    configure,
    plugged,
)
from tests.conftest import FIXED_NOW, SYSTEM, Bank

NOW = FIXED_NOW  # Monday 10:00 in Beijing


@pytest.fixture
def outlet(db: Database, bank: Bank) -> int:
    configure(db, bank.unit("OUT-A"))
    return bank.unit("OUT-A")


def _stored(db: Database) -> tuple[int, int]:
    with db.session() as session:
        rows = session.scalar(select(func.count()).select_from(Appointment)) or 0
        taken = session.scalar(select(func.coalesce(func.sum(AppointmentSlotCount.booked), 0)))
        return int(rows), int(taken or 0)


def test_slots_come_from_the_plan_when_the_outlet_has_no_history(db: Database, outlet: int) -> None:
    with db.session() as session:
        view = slots_for_day(session, place(session, "OUT-A", "A"), TOMORROW_10.date(), NOW)
    assert view.workday
    local = [
        s.start.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M") for s in view.slots
    ]
    assert local[0] == "09:00" and local[-1] == "16:30" and len(local) == 16
    # Four counters serve A (300 s expected), with B (480 s) and K (120 s) at their 300 s mean;
    # no history: no walk-ins, half kept for walk-ins.
    expected = math.floor(servable_arrivals(4, 300, 600) * 0.5)
    assert expected > 0
    assert {s.capacity for s in view.slots} == {expected}
    assert all(s.open and s.free == expected for s in view.slots)


def test_a_slot_inside_the_lead_time_is_shown_but_closed(db: Database, outlet: int) -> None:
    with db.session() as session:
        view = slots_for_day(session, place(session, "OUT-A", "A"), NOW.date(), NOW)
    by_time = {s.start: s for s in view.slots}
    assert by_time[NOW + dt.timedelta(minutes=30)].free == 0  # 10:30: inside the hour's lead
    assert by_time[NOW + dt.timedelta(minutes=60)].free > 0  # 11:00


def test_booking_stores_the_number_sealed_and_tells_the_customer(db: Database, outlet: int) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW)
    row = booked.appointment
    assert row.state == "booked" and row.slot_start == TOMORROW_10
    assert len(row.checkin_code) == 6 and row.checkin_code.isdigit()
    assert [n.kind for n in notices.sent] == ["code", "booked"]
    with db.session() as session:
        raw = session.execute(text("SELECT phone, token_hash FROM appointments")).one()
        assert PHONE not in raw.phone and booked.token not in raw.token_hash
        assert appointments.by_token(session, booked.token).phone == PHONE
        assert session.scalar(select(func.sum(AppointmentSlotCount.booked))) == 1
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.booked")
        ).one()
        assert "5678" in event.actor and PHONE not in event.actor
        assert session.scalar(select(AppointmentCode.used_at)) == NOW


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code": "000000x"}, "bad_code"),
        ({"phone": "12345"}, "bad_phone"),
        ({"outlet_code": "NOPE"}, "not_found"),
        ({"outlet_code": "SUB-A"}, "not_found"),
        ({"service_code": "Z"}, "unknown_service"),
        ({"service_code": "X"}, "not_served"),
        ({"start": SATURDAY_10}, "not_workday"),
        ({"start": NOW - dt.timedelta(hours=1)}, "slot_past"),
        ({"start": NOW + dt.timedelta(minutes=30)}, "outside_window"),
        ({"start": NOW + dt.timedelta(days=22)}, "outside_window"),
        ({"start": TOMORROW_10 + dt.timedelta(minutes=10)}, "no_slot"),
    ],
)
def test_bad_bookings_are_refused_and_store_nothing(
    db: Database, outlet: int, change: dict[str, object], error: str
) -> None:
    with plugged() as notices:
        code = code_for(db, notices, PHONE, NOW)
        fields: dict[str, object] = {
            "outlet_code": "OUT-A",
            "service_code": "A",
            "start": TOMORROW_10,
            "phone": PHONE,
            "code": code,
            **change,
        }
        with pytest.raises(ManyiError) as refused, db.session() as session:
            appointments.book(session, lang="zh-CN", now=NOW, **fields)  # type: ignore[arg-type]
    assert refused.value.error_code == error
    assert _stored(db) == (0, 0)


def test_a_wrong_code_is_refused_and_counted(db: Database, outlet: int) -> None:
    with plugged() as notices:
        code = code_for(db, notices, PHONE, NOW)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            with pytest.raises(ManyiError) as refused:
                book_with_code(db, wrong, NOW)
            assert refused.value.error_code == "wrong_code"
        # Five wrong tries spend the code: even the right one is now refused.
        with pytest.raises(ManyiError) as spent:
            book_with_code(db, code, NOW)
    assert spent.value.error_code == "code_expired"
    assert _stored(db) == (0, 0)


def test_an_expired_code_is_refused(db: Database, outlet: int) -> None:
    with plugged() as notices:
        code = code_for(db, notices, PHONE, NOW)
        with pytest.raises(ManyiError) as refused:
            book_with_code(db, code, NOW + dt.timedelta(minutes=11))
    assert refused.value.error_code == "code_expired"
    assert _stored(db) == (0, 0)


def test_a_full_slot_is_refused(db: Database, outlet: int) -> None:
    with plugged(FixedCapacity(servable=3.0, walk_ins=1.0)) as notices:  # (3 − 1) × 0.5 = 1 place
        book(db, notices, NOW)
        with pytest.raises(ManyiError) as refused:
            book(db, notices, NOW, phone=OTHER_PHONE)
    assert refused.value.error_code == "slot_full"
    assert _stored(db) == (1, 1)


def test_services_sharing_counters_share_their_places(db: Database, outlet: int) -> None:
    # A pool takes (4 − 0) × 0.5 = 2 customers of 300 s a slot. A shares counters 1-4 with B
    # and K (one pool, 2 places); B alone has counters 1, 3, 4 (2), K alone 2 and 4 (2); C has
    # counter 5 to itself.
    with plugged(FixedCapacity(servable=4.0)) as notices:

        def free() -> dict[str, int]:
            with db.session() as session:
                return {
                    code: next(
                        s.free
                        for s in slots_for_day(
                            session, place(session, "OUT-A", code), TOMORROW_10.date(), NOW
                        ).slots
                        if s.start == TOMORROW_10
                    )
                    for code in "ABKC"
                }

        assert free() == {"A": 2, "B": 2, "K": 2, "C": 2}
        book(db, notices, NOW, service="A")
        assert free() == {"A": 1, "B": 1, "K": 1, "C": 2}  # A took a place from B and K
        book(db, notices, NOW, phone=OTHER_PHONE, service="B")
        assert free() == {"A": 0, "B": 0, "K": 0, "C": 2}
        with pytest.raises(ManyiError) as full:
            book(db, notices, NOW, phone="13800000003", service="K")
        assert full.value.error_code == "slot_full"
        book(db, notices, NOW, phone="13800000004", service="C")
        with db.session() as session:
            view = slots_for_day(session, place(session, "OUT-A", "A"), TOMORROW_10.date(), NOW)
            slot = next(s for s in view.slots if s.start == TOMORROW_10)
            assert (slot.capacity, slot.booked, slot.free, slot.state) == (1, 1, 0, "full")


def test_one_booking_per_number_and_day(db: Database, outlet: int) -> None:
    with plugged() as notices:
        book(db, notices, NOW)
        with pytest.raises(ManyiError) as refused:
            book(db, notices, NOW, TOMORROW_10 + dt.timedelta(hours=2))
    assert refused.value.error_code == "already_booked"
    assert _stored(db) == (1, 1)


def test_repeated_no_shows_block_booking(db: Database, outlet: int) -> None:
    with plugged() as notices:
        for days in (1, 2, 3):
            book(db, notices, NOW, TOMORROW_10 + dt.timedelta(days=days - 1))
        with db.session() as session:
            session.execute(text("UPDATE appointments SET state = 'no_show', active_key = NULL"))
        later = NOW + dt.timedelta(days=5)
        with pytest.raises(ManyiError) as refused:
            book(db, notices, later, TOMORROW_10 + dt.timedelta(days=7))
        assert refused.value.error_code == "blocked"
        assert _stored(db)[0] == 3
        # After the block (30 days after the last no-show) the number books again.
        free_again = dt.datetime(2027, 1, 5, 1, 0, tzinfo=dt.UTC)
        with db.session() as session:
            appointment_rules.save_rules(
                session, SYSTEM, place(session, "OUT-A", "A").outlet, {"horizon_days": 40}, NOW
            )
        book(db, notices, free_again, dt.datetime(2027, 1, 6, 2, 0, tzinfo=dt.UTC))


def test_codes_are_rate_limited_per_number(db: Database, outlet: int) -> None:
    with plugged() as notices:
        for _ in range(3):
            code_for(db, notices, PHONE, NOW)
        with pytest.raises(ManyiError) as refused:
            code_for(db, notices, PHONE, NOW)
    assert refused.value.error_code == "rate_limited"
    assert len(notices.sent) == 3


def test_change_and_cancel_by_link(db: Database, outlet: int) -> None:
    later = TOMORROW_10 + dt.timedelta(hours=3)
    with plugged() as notices:
        booked = book(db, notices, NOW)
        with db.session() as session:
            appointments.change(session, booked.token, later, NOW)
        with db.session() as session:
            counts = dict(
                session.execute(
                    select(AppointmentSlotCount.slot_start, AppointmentSlotCount.booked).where(
                        AppointmentSlotCount.service_code == "A"
                    )
                ).all()
            )
            assert counts == {TOMORROW_10: 0, later: 1}
            appointments.cancel(session, booked.token, NOW)
        with pytest.raises(ManyiError) as again, db.session() as session:
            appointments.cancel(session, booked.token, NOW)
        assert again.value.error_code == "not_booked"
        with pytest.raises(ManyiError) as unknown, db.session() as session:
            appointments.cancel(session, "not-a-token", NOW)
        assert unknown.value.error_code == "not_found"
    assert [n.kind for n in notices.sent] == ["code", "booked", "changed", "cancelled"]
    with db.session() as session:
        row = session.scalars(select(Appointment)).one()
        assert row.state == "cancelled" and row.active_key is None
        assert session.scalar(select(func.sum(AppointmentSlotCount.booked))) == 0
    # Cancelled, the number may book that day again.
    with plugged() as notices:
        book(db, notices, NOW)


def test_rules_are_checked_before_saving(db: Database, outlet: int) -> None:
    with pytest.raises(ManyiError) as refused, db.session() as session:
        appointment_rules.save_rules(
            session, SYSTEM, place(session, "OUT-A", "A").outlet, {"walk_in_share": 1.0}, NOW
        )
    assert refused.value.field == "walk_in_share"
    with db.session() as session:
        assert appointment_rules.rules_for(session, outlet).walk_in_share == 0.5


def test_a_holiday_head_office_entered_takes_no_appointments(db: Database, outlet: int) -> None:
    with db.session() as session:
        entry.save_year(
            session, SYSTEM, 2026, "2026-12-01 元旦", NOW, level=UnitLevel.HEAD_OFFICE.value
        )
    with db.session() as session:
        view = slots_for_day(session, place(session, "OUT-A", "A"), TOMORROW_10.date(), NOW)
        assert not view.workday and view.slots == []
        assert TOMORROW_10.date() not in view.days
    with plugged() as notices, pytest.raises(ManyiError) as refused:
        book(db, notices, NOW)
    assert refused.value.error_code == "not_workday"
    assert _stored(db) == (0, 0)
