"""Delivering the outbox: claim due messages, send each, record the outcome.

The worker's side of the outbox (`service.enqueue` is the writer's). A pass
claims due messages in a short transaction of its own, sends each outside
any transaction, and records each outcome in another short transaction,
only while it still holds the claim. See docs/notify.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.notify.channels import ChannelAdapter
from manyi.notify.model import (
    MAX_ATTEMPTS,
    ChannelName,
    DeliveryError,
    FailureOutcome,
    MessageState,
    OutboxMessage,
    after_failure,
    clip_error,
)
from manyi.notify.tables import NotifyMessage

log = logging.getLogger("manyi.notify")

# How long a claim holds a message. A real gateway times out within seconds,
# and a pass stops handing messages to channels after LEASE_BUDGET of the
# lease (handing the rest back), so a live worker never loses its lease.
DEFAULT_LEASE = dt.timedelta(minutes=2)
LEASE_BUDGET = 0.5

ABANDONED_ERROR = "the worker stopped during the last attempt; the outcome is unknown"

M = NotifyMessage


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0  # claimed, then handed back unsent because the pass ran long

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retried

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            retried=self.retried + other.retried,
            released=self.released + other.released,
        )


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver_due(
    db: Database,
    channels: Mapping[str, ChannelAdapter],
    now: dt.datetime,
    *,
    limit: int = 100,
    worker: str | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> DeliveryReport:
    """Claim up to `limit` due messages of the given channels, send them, record outcomes.

    Several workers may run this at once: each message is claimed by one of
    them only (see `_claim`), and an outcome is recorded only by the worker
    that still holds the claim.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not channels:
        return DeliveryReport()
    token = f"{(worker or default_worker_name())[:50]}/{secrets.token_hex(4)}"
    names = sorted(channels)
    with db.session() as session:
        abandoned = _fail_abandoned(session, names, now)
        claimed = _claim(session, names, now, limit=limit, token=token, lease=lease)
    budget_ends = time.monotonic() + lease.total_seconds() * LEASE_BUDGET
    sent = failed = retried = released = 0
    for index, message in enumerate(claimed):
        if time.monotonic() > budget_ends:
            released = _release(db, [m.id for m in claimed[index:]], token)
            log.warning("notify: pass ran long, handed %d claimed messages back", released)
            break
        error = _send(channels[message.channel], message)
        with db.session() as session:
            if error is None:
                kept = _mark_sent(session, message.id, token, now)
                sent += kept
            else:
                outcome = after_failure(message.attempts, now, permanent=error.permanent)
                kept = _mark_failed(session, message.id, token, outcome, error)
                if outcome.state is MessageState.FAILED:
                    failed += kept
                else:
                    retried += kept
        if not kept:
            log.warning("notify: lost the claim on message %d before recording it", message.id)
    return DeliveryReport(sent=sent, failed=failed + abandoned, retried=retried, released=released)


def _due(names: Sequence[str], now: dt.datetime) -> Any:
    """The claim filter; `model.is_claimable` states the same rule in Python."""
    return and_(
        M.channel.in_(names),
        or_(
            and_(
                M.state == MessageState.PENDING.value,
                M.next_attempt_at <= now,
                or_(M.claimed_until.is_(None), M.claimed_until < now),
            ),
            and_(
                M.state == MessageState.SENDING.value,
                M.claimed_until < now,
                M.attempts < MAX_ATTEMPTS,
            ),
        ),
    )


def _claim(
    session: Session,
    names: Sequence[str],
    now: dt.datetime,
    *,
    limit: int,
    token: str,
    lease: dt.timedelta,
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this pass, atomically.

    Two statements in one short transaction: a SELECT picks the ids, then an
    UPDATE sets the lease on exactly those ids, repeating the due filter, and
    RETURNING says which rows this worker won.

    * PostgreSQL: the SELECT locks what it picks with FOR UPDATE SKIP LOCKED,
      so concurrent workers pick disjoint rows without waiting on each other,
      and the locks hold until the claim commits. (The SELECT is not nested
      in the UPDATE: PostgreSQL may re-scan a locking sub-select inside
      `IN (...)`, and then its LIMIT no longer bounds the UPDATE.)
    * SQLite: every transaction starts with BEGIN IMMEDIATE (see db.py), so
      both statements run while this connection holds the database's write
      lock; a second worker waits, then sees the rows claimed and picks others.
    """
    due = _due(names, now)
    picking = select(M.id).where(due).order_by(M.next_attempt_at, M.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picking = picking.with_for_update(skip_locked=True)
    ids = list(session.scalars(picking))
    if not ids:
        return []
    statement = (
        update(M)
        .where(M.id.in_(ids), due)
        .values(
            state=MessageState.SENDING.value,
            claimed_until=now + lease,
            claimed_by=token,
            attempts=M.attempts + 1,
        )
        .returning(
            M.id,
            M.channel,
            M.unit_id,
            M.recipient_staff_id,
            M.address,
            M.subject,
            M.body,
            M.attempts,
            M.created_at,
            M.data,
            M.next_attempt_at,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted(session.execute(statement).all(), key=lambda r: (r.next_attempt_at, r.id))
    return [
        OutboxMessage(
            id=row.id,
            channel=ChannelName(row.channel),
            unit_id=row.unit_id,
            recipient_staff_id=row.recipient_staff_id,
            address=row.address,
            subject=row.subject,
            body=row.body,
            attempts=row.attempts,
            created_at=row.created_at,
            data=row.data or {},
        )
        for row in rows
    ]


def _fail_abandoned(session: Session, names: Sequence[str], now: dt.datetime) -> int:
    """Fail messages whose worker stopped during their last attempt (lease run out)."""
    result = session.execute(
        update(M)
        .where(
            M.channel.in_(names),
            M.state == MessageState.SENDING.value,
            M.claimed_until < now,
            M.attempts >= MAX_ATTEMPTS,
        )
        .values(state=MessageState.FAILED.value, claimed_until=None, last_error=ABANDONED_ERROR)
        .returning(M.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def _send(adapter: ChannelAdapter, message: OutboxMessage) -> DeliveryError | None:
    try:
        adapter.send(message)
    except DeliveryError as exc:
        return exc
    except Exception as exc:
        # A bug or an unforeseen refusal in an adapter: retried like a temporary failure.
        log.exception("notify: channel %s raised on message %d", message.channel, message.id)
        return DeliveryError(f"{type(exc).__name__}: {exc}")
    return None


def _owned(message_id: int, token: str) -> Any:
    return and_(M.id == message_id, M.state == MessageState.SENDING.value, M.claimed_by == token)


def _mark_sent(session: Session, message_id: int, token: str, now: dt.datetime) -> int:
    result = session.execute(
        update(M)
        .where(_owned(message_id, token))
        .values(state=MessageState.SENT.value, sent_at=now, claimed_until=None, last_error=None)
        .returning(M.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def _mark_failed(
    session: Session,
    message_id: int,
    token: str,
    outcome: FailureOutcome,
    error: DeliveryError,
) -> int:
    values: dict[str, Any] = {
        "state": outcome.state.value,
        "claimed_until": None,
        "last_error": clip_error(error.reason) or "delivery failed",
    }
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    result = session.execute(
        update(M)
        .where(_owned(message_id, token))
        .values(**values)
        .returning(M.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def _release(db: Database, ids: Sequence[int], token: str) -> int:
    """Hand claimed, unsent messages back: pending again, the attempt not counted."""
    with db.session() as session:
        result = session.execute(
            update(M)
            .where(M.id.in_(ids), M.state == MessageState.SENDING.value, M.claimed_by == token)
            .values(state=MessageState.PENDING.value, claimed_until=None, attempts=M.attempts - 1)
            .returning(M.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())
