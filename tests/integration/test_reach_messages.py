"""Customer messages end to end on a real database: consent, the outbox, delivery, receipts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from manyi import audit
from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.reach import contacts, delivery, messages, templates_store
from manyi.reach.adapters.gateway import (
    Accepted,
    Channel,
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptState,
)
from manyi.reach.domain.messages import Kind
from manyi.reach.tables import ReachContact, ReachMessage
from tests.conftest import FIXED_NOW, SYSTEM, Bank

ZONE = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
NEAR = {"number": "A012", "ahead": 3, "minutes": 8, "outlet": "甲网点"}


@dataclass
class Recording:
    """A gateway for these tests: records what it is given, refuses on request."""

    name: str = "recording"
    sent: list[OutgoingMessage] = field(default_factory=list)
    refuse: GatewayError | None = None
    pending: list[Receipt] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> Accepted:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append(message)
        self.pending.append(Receipt(f"g{message.id}", ReceiptState.DELIVERED, "DELIVRD"))
        return Accepted(f"g{message.id}")

    def receipts(self) -> list[Receipt]:
        taken, self.pending = self.pending, []
        return taken

    def close(self) -> None:
        return None


def _customer(db: Database, *, purposes: tuple[str, ...] = ("queue",)) -> int:
    with db.session() as session:
        contact = contacts.remember(session, PHONE, FIXED_NOW)
        for purpose in purposes:
            contacts.record_consent(
                session, SYSTEM, contact, purpose, granted=True, source="status_page", now=FIXED_NOW
            )
        return contact.id


def _send(
    db: Database,
    kind: Kind,
    params: dict[str, object],
    now: dt.datetime = FIXED_NOW,
    **options: object,
) -> messages.Outcome:
    with db.session() as session:
        contact = session.scalar(select(ReachContact))
        return messages.send(session, contact, kind, params, now, ZONE, **options)  # type: ignore[arg-type]


def test_a_consenting_customer_gets_the_message_and_its_receipt(db: Database, bank: Bank) -> None:
    _customer(db)
    outcome = _send(db, Kind.TURN_NEAR, NEAR, unit_id=bank.unit("OUT-A"))
    assert outcome.state == "pending" and outcome.message_id is not None
    gateway = Recording()
    report = delivery.deliver_due(db, {Channel.SMS: gateway}, FIXED_NOW)
    assert report.sent == 1
    [out] = gateway.sent
    assert out.address == PHONE and out.channel is Channel.SMS
    assert out.text == "您的号码A012前面还有3位，预计约8分钟轮到您，请回到甲网点大堂候叫。"
    assert delivery.record_receipts(db, {Channel.SMS: gateway}, FIXED_NOW) == 1
    with db.session() as session:
        row = session.get_one(ReachMessage, outcome.message_id)
        assert (row.state, row.gateway_id, row.receipt) == ("delivered", f"g{row.id}", "DELIVRD")
    # Delivered once: a second pass finds nothing.
    assert delivery.deliver_due(db, {Channel.SMS: gateway}, FIXED_NOW).sent == 0


def test_no_consent_no_message_and_a_withdrawal_stops_the_next(db: Database, bank: Bank) -> None:
    _customer(db, purposes=())
    assert _send(db, Kind.CALLED, {"number": "A1", "counter": "3"}).state == "no_consent"
    _customer(db)
    assert _send(db, Kind.CALLED, {"number": "A1", "counter": "3"}).state == "pending"
    assert _send(db, Kind.SURVEY_INVITATION, {"link": "x"}).state == "no_consent"
    with db.session() as session:
        contact = session.scalars(select(ReachContact)).one()
        later = FIXED_NOW + dt.timedelta(minutes=1)
        contacts.record_consent(
            session, SYSTEM, contact, "queue", granted=False, source="staff", now=later
        )
    later = FIXED_NOW + dt.timedelta(minutes=2)
    assert _send(db, Kind.CALLED, {"number": "A2", "counter": "3"}, later).state == "no_consent"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReachMessage)) == 1
        actions = [e.action for e in audit.history(session, "reach_contact", contact.id)]
    assert actions.count("reach.consent_granted") == 1 and "reach.consent_withdrawn" in actions


def test_a_flood_to_one_number_is_suppressed_with_its_reason(db: Database, bank: Bank) -> None:
    _customer(db)
    states = [
        _send(
            db,
            Kind.CALLED,
            {"number": f"A{i}", "counter": "1"},
            FIXED_NOW + dt.timedelta(minutes=i),
        ).state
        for i in range(8)
    ]
    assert states == ["pending"] * messages.LIMIT.per_hour + ["suppressed"] * 2
    with db.session() as session:
        reasons = set(
            session.scalars(select(ReachMessage.reason).where(ReachMessage.state == "suppressed"))
        )
    assert reasons == {"too many messages to this number in an hour"}


def test_a_refused_number_fails_at_once_a_busy_gateway_is_retried(db: Database, bank: Bank) -> None:
    _customer(db, purposes=("complaint",))
    first = _send(db, Kind.COMPLAINT_DECIDED, {"reference": "TS1", "link": "https://b/x"})
    busy = Recording(refuse=GatewayError("throttled"))
    report = delivery.deliver_due(db, {Channel.SMS: busy}, FIXED_NOW)
    assert report.retried == 1
    with db.session() as session:
        row = session.get_one(ReachMessage, first.message_id)
        assert row.state == "pending" and row.next_attempt_at == FIXED_NOW + dt.timedelta(
            seconds=30
        )
    refusing = Recording(refuse=GatewayError("invalid destination", permanent=True))
    report = delivery.deliver_due(db, {Channel.SMS: refusing}, FIXED_NOW + dt.timedelta(minutes=1))
    assert report.failed == 1
    with db.session() as session:
        row = session.get_one(ReachMessage, first.message_id)
        assert (row.state, row.last_error) == ("failed", "invalid destination")


def test_stale_news_is_dropped_and_an_invitation_waits_for_morning(
    db: Database, bank: Bank
) -> None:
    _customer(db, purposes=("queue", "survey"))
    _send(db, Kind.TURN_NEAR, NEAR)
    night = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # 22:30 in Beijing
    invited = _send(db, Kind.SURVEY_INVITATION, {"link": "https://b/s/1"}, night)
    gateway = Recording()
    report = delivery.deliver_due(db, {Channel.SMS: gateway}, night)
    assert (report.expired, report.sent) == (1, 0)
    morning = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)
    assert delivery.deliver_due(db, {Channel.SMS: gateway}, morning).sent == 1
    assert [m.id for m in gateway.sent] == [invited.message_id]


def test_the_banks_own_words_are_used_and_a_bad_edit_changes_nothing(
    db: Database, bank: Bank
) -> None:
    _customer(db)
    with db.session() as session:
        templates_store.save(
            session,
            SYSTEM,
            "called",
            "zh-CN",
            "【满意银行】请{number}号到{counter}号窗口",
            FIXED_NOW,
        )
    with pytest.raises(InvalidInput), db.session() as session:
        templates_store.save(session, SYSTEM, "called", "zh-CN", "请{name}", FIXED_NOW)
    _send(db, Kind.CALLED, {"number": "B7", "counter": "2"})
    gateway = Recording()
    delivery.deliver_due(db, {Channel.SMS: gateway}, FIXED_NOW)
    assert gateway.sent[0].text == "【满意银行】请B7号到2号窗口"


def test_a_wrong_number_is_refused_naming_the_field_and_nothing_is_stored(
    db: Database, bank: Bank
) -> None:
    with pytest.raises(InvalidInput) as refused, db.session() as session:
        contacts.remember(session, "1381234567", FIXED_NOW)
    assert refused.value.field
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReachContact)) == 0


def test_the_same_dedupe_key_writes_one_message(db: Database, bank: Bank) -> None:
    _customer(db)
    first = _send(db, Kind.CALLED, {"number": "A1", "counter": "1"}, dedupe_key="called:1")
    again = _send(db, Kind.CALLED, {"number": "A1", "counter": "1"}, dedupe_key="called:1")
    assert first.state == "pending" and again.state == "duplicate"


def test_the_number_is_sealed_at_rest(db: Database, bank: Bank) -> None:
    _customer(db)
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT phone, phone_tail FROM reach_contacts").one()
    assert PHONE not in stored[0] and stored[1] == "5678"
