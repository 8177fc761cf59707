"""What the notification outbox tells operations (the `/metrics` gauges, manyi.observe):
per channel, how many messages wait in the outbox (pending or being sent), since when the
oldest of them was written, and since when the most overdue one has been due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.notify.model import MessageState
from manyi.notify.tables import NotifyMessage


@dataclass(frozen=True)
class Backlog:
    channel: str
    waiting: int
    oldest_at: dt.datetime | None  # when the oldest waiting message was written
    overdue_since: dt.datetime | None  # the earliest due attempt not yet made


def outbox_backlog(session: Session, now: dt.datetime) -> list[Backlog]:
    """One row per channel with messages waiting (two grouped reads of unsent rows)."""
    waiting = (MessageState.PENDING.value, MessageState.SENDING.value)
    rows = session.execute(
        select(NotifyMessage.channel, func.count(), func.min(NotifyMessage.created_at))
        .where(NotifyMessage.state.in_(waiting))
        .group_by(NotifyMessage.channel)
    ).all()
    due = dict(
        session.execute(
            select(NotifyMessage.channel, func.min(NotifyMessage.next_attempt_at))
            .where(
                NotifyMessage.state == MessageState.PENDING.value,
                NotifyMessage.next_attempt_at <= now,
            )
            .group_by(NotifyMessage.channel)
        ).all()
    )
    return [
        Backlog(str(channel), int(count), _aware(oldest), _aware(due.get(channel)))
        for channel, count, oldest in rows
    ]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # min() comes back untyped on SQLite (a string or a naive time): read it as UTC.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
