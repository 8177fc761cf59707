"""Delivering customer messages: claim due ones, render, send by their gateway, record.

The outbox's steps are `manyi.outbox`'s and its retry rule is the staff notifications' (three
retries after 30 s, 2 min and 10 min, then failed; a permanent refusal fails at once): at least
once, so gateways are idempotent on the message id (`adapters.gateway`). Before claiming, a pass
drops live messages gone stale (`expired`). `record_receipts` turns the gateways' delivery
receipts into `delivered` (or `failed`, with the gateway's word).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi import outbox
from manyi.db import Database
from manyi.notify import MAX_ATTEMPTS, MessageState, after_failure
from manyi.reach.adapters.gateway import (
    Accepted,
    Channel,
    GatewayError,
    MessageGateway,
    OutgoingMessage,
    Receipt,
    ReceiptState,
)
from manyi.reach.domain.messages import Kind, render
from manyi.reach.tables import ReachContact, ReachMessage
from manyi.reach.templates_store import text_for

log = logging.getLogger("manyi.reach")
M = ReachMessage
LEASE = dt.timedelta(minutes=2)
LEASE_BUDGET = 0.5


@dataclass(frozen=True)
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    released: int = 0
    receipts: int = 0
    withdrawals: int = 0  # customers who replied TD (replies.record_replies)

    def line(self) -> str:
        return (
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"expired {self.expired}, receipts {self.receipts}, withdrawals {self.withdrawals}"
        )


def deliver_due(
    db: Database,
    gateways: Mapping[Channel, MessageGateway],
    now: dt.datetime,
    *,
    limit: int = 100,
    worker: str | None = None,
    lease: dt.timedelta = LEASE,
) -> Report:
    """One pass: expire stale live messages, claim up to `limit` due ones of the channels that
    have a gateway, send each outside any transaction, record each outcome."""
    if not gateways:
        return Report()
    token = outbox.claim_token(worker)
    channels = M.channel.in_(sorted(c.value for c in gateways))
    with db.session() as session:
        expired = _expire(session, now)
        failed_before = outbox.fail_abandoned(session, M, now, MAX_ATTEMPTS, channels)
        rows = outbox.claim(
            session,
            M,
            outbox.due(M, now, MAX_ATTEMPTS, channels),
            now=now,
            limit=limit,
            token=token,
            lease=lease,
            returning=(M.id, M.attempts),
        )
        loaded = _outgoing(session, [row.id for row in rows])
        outgoing = [(row.attempts, loaded[row.id]) for row in rows]
    budget_ends = time.monotonic() + lease.total_seconds() * LEASE_BUDGET
    sent = retried = failed = released = 0
    for index, (attempts, message) in enumerate(outgoing):
        if time.monotonic() > budget_ends:
            released = outbox.release(db, M, [m.id for _, m in outgoing[index:]], token)
            break
        gateway = gateways[message.channel]
        result = _send(gateway, message)
        with db.session() as session:
            if isinstance(result, Accepted):
                kept = outbox.record(
                    session,
                    M,
                    message.id,
                    token,
                    state=MessageState.SENT.value,
                    sent_at=now,
                    gateway=gateway.name,
                    gateway_id=result.gateway_id[:64],
                    last_error=None,
                )
                sent += kept
                continue
            outcome = after_failure(attempts, now, permanent=result.permanent)
            values: dict[str, Any] = {
                "state": outcome.state.value,
                "last_error": result.reason[:500],
            }
            if outcome.next_attempt_at is not None:
                values["next_attempt_at"] = outcome.next_attempt_at
            kept = outbox.record(session, M, message.id, token, gateway=gateway.name, **values)
            if outcome.state is MessageState.FAILED:
                failed += kept
            else:
                retried += kept
    return Report(
        sent=sent,
        retried=retried,
        failed=failed + failed_before,
        expired=expired,
        released=released,
    )


def _expire(session: Session, now: dt.datetime) -> int:
    result = session.execute(
        update(M)
        .where(M.state == "pending", M.expires_at.is_not(None), M.expires_at < now)
        .values(state="expired", reason="not sent in time: the news was stale")
        .returning(M.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def _outgoing(session: Session, ids: list[int]) -> dict[int, OutgoingMessage]:
    """The claimed messages as their gateways take them, read in one statement."""
    if not ids:
        return {}
    found = session.execute(
        select(M, ReachContact)
        .join(ReachContact, ReachContact.id == M.contact_id)
        .where(M.id.in_(ids))
    ).all()
    outgoing = {}
    for message, contact in found:
        kind = Kind(message.kind)
        params = dict(message.params or {})
        channel = Channel(message.channel)
        outgoing[message.id] = OutgoingMessage(
            id=message.id,
            channel=channel,
            address=(contact.wechat_openid or "") if channel is Channel.WECHAT else contact.phone,
            kind=kind.value,
            text=render(text_for(session, kind, message.lang), params),
            params=params,
            link=message.link,
        )
    return outgoing


def _send(gateway: MessageGateway, message: OutgoingMessage) -> Accepted | GatewayError:
    try:
        return gateway.send(message)
    except GatewayError as exc:
        return exc
    except Exception as exc:  # a bug or an unforeseen refusal: retried like a temporary failure
        log.exception("reach: gateway %s raised on message %d", gateway.name, message.id)
        return GatewayError(f"{type(exc).__name__}: {exc}")


def record_receipts(
    db: Database, gateways: Mapping[Channel, MessageGateway], now: dt.datetime
) -> int:
    """Take each gateway's new delivery receipts and record them on their messages."""
    done = 0
    for gateway in gateways.values():
        receipts = gateway.receipts()
        if not receipts:
            continue
        with db.session() as session:
            done += apply_receipts(session, gateway.name, receipts, now)
    return done


def apply_receipts(
    session: Session, gateway: str, receipts: Iterable[Receipt], now: dt.datetime
) -> int:
    """Record receipts on the messages `gateway` accepted under their ids: `sent` (or an
    earlier receipt's `delivered`) becomes `delivered`, or `failed` with the gateway's word.
    A receipt naming no such message changes nothing; returns the messages changed. The one
    path for every gateway's receipts, polled (`record_receipts`) or pushed (WeChat's)."""
    done = 0
    for receipt in receipts:
        delivered = receipt.state is ReceiptState.DELIVERED
        result = session.execute(
            update(M)
            .where(
                M.gateway == gateway,
                M.gateway_id == receipt.gateway_id[:64],
                M.state.in_(("sent", "delivered")),
            )
            .values(
                state="delivered" if delivered else "failed",
                delivered_at=(receipt.at or now) if delivered else None,
                receipt=receipt.status[:32],
                last_error=None if delivered else f"receipt: {receipt.status}"[:500],
            )
            .returning(M.id)
            .execution_options(synchronize_session=False)
        )
        done += len(result.all())
    return done
