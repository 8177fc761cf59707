"""The notification tests' tools: fake channels, messages put in the outbox and read back, staff
paged through the service, and the `people` fixture (a lobby manager and second-line staff).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from manyi import audit
from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.notify import service
from manyi.notify.model import DeliveryError, OutboxMessage
from manyi.notify.tables import NotifyMessage
from manyi.org import staff as staff_service
from manyi.org.tables import Unit
from tests.conftest import SYSTEM, Bank, add_staff

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
PHONE = "138 1234 5678"


@dataclass
class RecordingChannel:
    """A fake channel that remembers what it was asked to send."""

    name: str = "in_app"
    delay_s: float = 0.0
    sent: list[int] = field(default_factory=list)

    def send(self, message: OutboxMessage) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.sent.append(message.id)


@dataclass
class FailingChannel:
    name: str = "in_app"
    error: Exception = field(default_factory=lambda: DeliveryError("gateway busy"))
    calls: int = 0

    def send(self, message: OutboxMessage) -> None:
        self.calls += 1
        raise self.error


def add(
    db: Database,
    bank: Bank,
    *,
    to: str = "teller_a",
    channel: str = "in_app",
    now: dt.datetime = T0,
    subject: str = "Please come to counter 3",
    **extra: object,
) -> int:
    with db.session() as session:
        return service.enqueue(
            session,
            channel=channel,
            recipient_staff_id=bank.staff[to],
            subject=subject,
            body="A customer needs help with a corporate account.",
            now=now,
            unit_id=bank.unit("OUT-A"),
            **extra,  # type: ignore[arg-type]
        )


def rows(db: Database) -> list[NotifyMessage]:
    with db.session() as session:
        return list(session.scalars(select(NotifyMessage).order_by(NotifyMessage.id)))


def row(db: Database, message_id: int) -> NotifyMessage:
    with db.session() as session:
        found = session.get(NotifyMessage, message_id)
        assert found is not None
        return found


def page_events(db: Database) -> int:
    with db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notify.page_staff")
        )
        return int(count or 0)


@pytest.fixture
def people(db: Database, bank: Bank) -> dict[str, int]:
    """A lobby manager at outlet A, and back-office staff at the sub-branch above it."""
    added = add_staff(db, bank, "lobby.a", "support.a", "lobby.b")
    return {
        "lobby_a": added["lobby.a"],
        "support_a": added["support.a"],
        "lobby_b": added["lobby.b"],
    }


def actor(db: Database, staff_id: int) -> audit.Actor:
    with db.session() as session:
        return staff_service.actor_of(staff_service.get_staff(session, staff_id))


def page(
    db: Database,
    bank: Bank,
    who: audit.Actor,
    recipients: list[int],
    *,
    outlet: str = "OUT-A",
    message: str = "窗口排队较长，请到 3 号窗口支援",
    channels: tuple[str, ...] = ("in_app",),
) -> list[int]:
    with db.session() as session:
        unit = session.get(Unit, bank.unit(outlet))
        assert unit is not None
        return service.page_staff(
            session,
            who,
            unit=unit,
            recipient_ids=recipients,
            message=message,
            now=T0,
            channels=channels,
        )


def deactivate(db: Database, staff_id: int) -> None:
    with db.session() as session:
        staff_service.update_staff(session, SYSTEM, staff_id, active=False)
