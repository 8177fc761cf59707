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
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from manyi import outbox
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
    them only (see `manyi.outbox.claim`), and an outcome is recorded only by the
    worker that still holds the claim.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not channels:
        return DeliveryReport()
    token = outbox.claim_token(worker or default_worker_name())
    names = sorted(channels)
    with db.session() as session:
        abandoned = outbox.fail_abandoned(session, M, now, MAX_ATTEMPTS, M.channel.in_(names))
        claimed = _claim(session, names, now, limit=limit, token=token, lease=lease)
    budget_ends = time.monotonic() + lease.total_seconds() * LEASE_BUDGET
    sent = failed = retried = released = 0
    for index, message in enumerate(claimed):
        if time.monotonic() > budget_ends:
            released = outbox.release(db, M, [m.id for m in claimed[index:]], token)
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


def _claim(
    session: Session,
    names: Sequence[str],
    now: dt.datetime,
    *,
    limit: int,
    token: str,
    lease: dt.timedelta,
) -> list[OutboxMessage]:
    """Take up to `limit` due messages of these channels for this pass (`outbox.claim`)."""
    rows = outbox.claim(
        session,
        M,
        outbox.due(M, now, MAX_ATTEMPTS, M.channel.in_(names)),
        now=now,
        limit=limit,
        token=token,
        lease=lease,
        returning=(
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
        ),
    )
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


def _mark_sent(session: Session, message_id: int, token: str, now: dt.datetime) -> int:
    return outbox.record(
        session, M, message_id, token, state=MessageState.SENT.value, sent_at=now, last_error=None
    )


def _mark_failed(
    session: Session,
    message_id: int,
    token: str,
    outcome: FailureOutcome,
    error: DeliveryError,
) -> int:
    values: dict[str, Any] = {
        "state": outcome.state.value,
        "last_error": clip_error(error.reason) or "delivery failed",
    }
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    return outbox.record(session, M, message_id, token, **values)
