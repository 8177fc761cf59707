"""Appointments' messages through the outbox: the code, booked with the link, a reminder, and
cancelled, each once, to the number that was confirmed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.reach import appointment_jobs, appointment_ports, appointments
from manyi.reach.appointment_messages import CodeTooSoon, OutboxNotices
from manyi.reach.tables import ReachConsent, ReachMessage
from tests.appointment_helpers import PHONE, book_with_code, code_in_outbox, configure
from tests.conftest import FIXED_NOW, Bank


@pytest.fixture
def outbox(db: Database, bank: Bank) -> Iterator[None]:
    configure(db, bank.unit("OUT-A"))
    old = appointment_ports.notices()
    appointment_ports.register_notices(OutboxNotices("https://manyi.bank.cn"))
    yield
    appointment_ports.register_notices(old)


def _sent(db: Database) -> list[tuple[str, dict[str, str]]]:
    with db.session() as session:
        rows = session.scalars(select(ReachMessage).order_by(ReachMessage.id)).all()
        return [(m.kind, dict(m.params)) for m in rows]


def test_code_booked_reminder_cancelled(db: Database, outbox: None) -> None:
    with db.session() as session:
        appointments.request_code(session, PHONE, "10.0.0.1", "zh-CN", FIXED_NOW)
    code = code_in_outbox(db, PHONE)
    assert code is not None and len(code) == 6
    booked = book_with_code(db, code, FIXED_NOW)
    token, checkin = booked.token, booked.appointment.checkin_code
    kinds = [k for k, _ in _sent(db)]
    assert kinds == ["verification_code", "appointment_booked"]
    params = _sent(db)[1][1]
    assert params["link"] == f"https://manyi.bank.cn/a/{token}"
    assert (params["code"], params["date"], params["time"]) == (checkin, "2026-12-01", "10:00")
    with db.session() as session:
        consent = session.scalars(select(ReachConsent)).one()
        assert (consent.purpose, consent.source) == ("appointment", "booking")
        # The evening before (20:00 in Beijing): the day-before reminder, once.
        evening = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
        appointment_jobs.send_reminders(session, evening)
        appointment_jobs.send_reminders(session, evening)
    with db.session() as session:
        appointments.cancel(session, token, FIXED_NOW + dt.timedelta(hours=11))
    kinds = [k for k, _ in _sent(db)]
    assert kinds == [
        "verification_code",
        "appointment_booked",
        "appointment_reminder",
        "appointment_cancelled",
    ]


def test_a_second_code_within_a_minute_is_refused_naming_the_wait(
    db: Database, outbox: None
) -> None:
    with db.session() as session:
        appointments.request_code(session, PHONE, "10.0.0.1", "zh-CN", FIXED_NOW)
    with pytest.raises(CodeTooSoon) as refused, db.session() as session:
        appointments.request_code(
            session, PHONE, "10.0.0.1", "zh-CN", FIXED_NOW + dt.timedelta(seconds=20)
        )
    assert refused.value.status_code == 429 and refused.value.field == "phone"
    assert [k for k, _ in _sent(db)] == ["verification_code"]
