"""Checking in appointments (kiosk code, link), the worker's reminders and no-shows, and two
customers racing for the last place on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.errors import ManyiError
from manyi.lobby import ports as lobby_ports
from manyi.lobby.tables import LobbyTicket
from manyi.reach import appointment_jobs, appointments
from manyi.reach.appointment_checkin import check_in_by_link
from manyi.reach.appointment_queries import day_counts
from manyi.reach.appointment_tables import Appointment, AppointmentSlotCount
from tests.appointment_helpers import (
    OTHER_PHONE,
    TOMORROW_10,
    FixedCapacity,
    book,
    code_for,
    configure,
    plugged,
)
from tests.conftest import FIXED_NOW, Bank

NOW = FIXED_NOW  # Monday 10:00 in Beijing
TODAY_1130 = NOW + dt.timedelta(minutes=90)


@pytest.fixture
def outlet(db: Database, bank: Bank) -> int:
    configure(db, bank.unit("OUT-A"))
    return bank.unit("OUT-A")


def _kiosk(db: Database, outlet: int, code: str, at: dt.datetime) -> lobby_ports.AppointmentCheckIn:
    with db.session() as session:
        return lobby_ports.appointment_check_in().check_in(session, outlet, code, at)


def test_on_time_at_the_kiosk_gives_an_appointment_ticket_due_at_the_slot(
    db: Database, outlet: int
) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW, TODAY_1130)
    with pytest.raises(ManyiError) as early:
        _kiosk(db, outlet, booked.appointment.checkin_code, TODAY_1130 - dt.timedelta(minutes=31))
    assert early.value.error_code == "too_early"
    done = _kiosk(
        db, outlet, booked.appointment.checkin_code, TODAY_1130 - dt.timedelta(minutes=10)
    )
    assert not done.late and done.number.startswith("A")
    with db.session() as session:
        ticket = session.get_one(LobbyTicket, done.ticket_id)
        assert (ticket.klass, ticket.channel, ticket.due_at) == (
            "appointment",
            "appointment",
            TODAY_1130,
        )
        row = session.scalars(select(Appointment)).one()
        assert (row.state, row.ticket_id, row.late) == ("checked_in", done.ticket_id, False)
    with pytest.raises(ManyiError) as twice:
        _kiosk(db, outlet, booked.appointment.checkin_code, TODAY_1130)
    assert twice.value.error_code == "checked_in"


def test_late_past_the_grace_gives_a_normal_ticket(db: Database, outlet: int) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW, TODAY_1130)
    done = _kiosk(
        db,
        outlet,
        "MANYI-APPT:" + booked.appointment.checkin_code,
        TODAY_1130 + dt.timedelta(minutes=16),
    )
    assert done.late
    with db.session() as session:
        ticket = session.get_one(LobbyTicket, done.ticket_id)
        assert (ticket.klass, ticket.due_at) == ("normal", None)


def test_a_wrong_code_at_the_kiosk_issues_nothing(db: Database, outlet: int, bank: Bank) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW, TODAY_1130)
    for code, outlet_id in (("123", outlet), (booked.appointment.checkin_code, bank.unit("OUT-B"))):
        with pytest.raises(ManyiError) as refused:
            _kiosk(db, outlet_id, code, TODAY_1130)
        assert refused.value.error_code in {"no_appointment", "not_found"}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LobbyTicket)) == 0


def test_check_in_by_link_on_another_day_is_refused(db: Database, outlet: int) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW)  # tomorrow 10:00
    with pytest.raises(ManyiError) as refused, db.session() as session:
        check_in_by_link(session, booked.token, NOW + dt.timedelta(hours=1))
    assert refused.value.error_code == "other_day"
    with db.session() as session:
        done = check_in_by_link(session, booked.token, TOMORROW_10 - dt.timedelta(minutes=5))
    assert not done.late


def test_reminders_go_once_and_no_shows_are_counted(db: Database, outlet: int) -> None:
    with plugged() as notices:
        booked = book(db, notices, NOW)  # tomorrow 10:00, booked a day ahead
        on_time = book(db, notices, NOW, TODAY_1130, phone=OTHER_PHONE)
        evening = TOMORROW_10 - dt.timedelta(hours=20)
        with db.session() as session:
            assert appointment_jobs.send_reminders(session, evening) == 1
        with db.session() as session:
            assert appointment_jobs.send_reminders(session, evening) == 0  # not twice
        with db.session() as session:
            assert (
                appointment_jobs.send_reminders(session, TOMORROW_10 - dt.timedelta(minutes=50))
                == 1
            )
        kinds = [(n.kind, n.appointment_id) for n in notices.sent if n.kind.startswith("reminder")]
        assert kinds == [
            ("reminder:day", booked.appointment.id),
            ("reminder:hour", booked.appointment.id),
        ]
    _kiosk(db, outlet, on_time.appointment.checkin_code, TODAY_1130)
    with db.session() as session:
        assert appointment_jobs.mark_no_shows(session, TOMORROW_10 + dt.timedelta(minutes=15)) == 0
    with db.session() as session:
        counts = day_counts(session, outlet, TOMORROW_10 + dt.timedelta(minutes=5))
        assert (counts.total, counts.late, counts.missing) == (1, 1, 0)
    with db.session() as session:
        assert appointment_jobs.mark_no_shows(session, TOMORROW_10 + dt.timedelta(minutes=16)) == 1
    with db.session() as session:
        states = dict(session.execute(select(Appointment.id, Appointment.state)).all())
        assert states == {booked.appointment.id: "no_show", on_time.appointment.id: "checked_in"}
        counts = day_counts(session, outlet, TOMORROW_10 + dt.timedelta(minutes=20))
        assert (counts.total, counts.checked_in, counts.missing) == (1, 0, 1)


@pytest.mark.postgres
@pytest.mark.parametrize("services", [("A", "A"), ("A", "B")], ids=["same", "sharing"])
def test_two_customers_racing_for_the_last_place_get_it_once(
    db: Database, outlet: int, services: tuple[str, str]
) -> None:
    """The last place of a slot, wanted by two customers at once: of one service, or of A and
    B, which share counters 1, 3 and 4 (one pool: a booking of either takes its place)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    phones = ("13800000001", "13800000002")
    with db.session() as session:  # the slot's counts exist (booked and cancelled before), so
        session.add_all(  # only the lock on them keeps the two apart
            AppointmentSlotCount(outlet_id=outlet, service_code=code, slot_start=TOMORROW_10)
            for code in "ABK"
        )
    with plugged(FixedCapacity(servable=2.0)) as notices:  # 2 × 0.5 = 1 place per pool
        codes = [code_for(db, notices, phone, NOW) for phone in phones]
        barrier = threading.Barrier(2)
        results: list[str] = []

        def attempt(phone: str, code: str, service: str) -> None:
            try:
                with db.session() as session:
                    barrier.wait()
                    appointments.book(
                        session,
                        outlet_code="OUT-A",
                        service_code=service,
                        start=TOMORROW_10,
                        phone=phone,
                        code=code,
                        lang="zh-CN",
                        now=NOW,
                    )
                results.append("booked")
            except ManyiError as exc:
                results.append(exc.error_code)

        threads = [
            threading.Thread(target=attempt, args=args)
            for args in zip(phones, codes, services, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["booked", "slot_full"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1
