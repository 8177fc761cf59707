"""Writing a customer message to the outbox, in the caller's transaction, by the rules.

`send` decides at once what the rules allow (`domain.sending`): no consent → nothing is written
and the caller learns why; over the number's rate limit → the message is kept as `suppressed`
with its reason (staff see it on the messages page); in quiet hours a message that can wait is
held until they end. The worker (`delivery`) renders and sends it later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi.errors import InvalidInput
from manyi.reach import contacts
from manyi.reach.adapters.gateway import Channel
from manyi.reach.domain.messages import RULES, Kind
from manyi.reach.domain.sending import (
    QuietHours,
    RateLimit,
    expires_at,
    has_consent,
    rate_decision,
    send_at,
)
from manyi.reach.tables import ReachContact, ReachMessage

QUIET = QuietHours()
LIMIT = RateLimit()


@dataclass(frozen=True)
class Outcome:
    message_id: int | None  # None when nothing was written (no consent, no contact)
    state: str  # "pending", "suppressed", "no_consent", "no_contact", "duplicate"
    reason: str = ""
    retry_after_s: int = 0


def send(
    session: Session,
    contact: ReachContact | None,
    kind: Kind,
    params: Mapping[str, object],
    now: dt.datetime,
    zone: dt.tzinfo,
    *,
    unit_id: int | None = None,
    channel: Channel = Channel.SMS,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> Outcome:
    """Put one message to `contact` in the outbox if the rules allow it."""
    if contact is None:
        return Outcome(None, "no_contact")
    rule = RULES[kind]
    unknown = sorted(set(params) - set(rule.names))
    if unknown:
        raise InvalidInput(
            "a {kind} message has no value {name}", "params", kind=kind.value, name=unknown[0]
        )
    if channel is Channel.WECHAT and not contact.wechat_openid:
        return Outcome(None, "no_contact", "the customer has not linked the WeChat account")
    if not has_consent(rule.purpose, contacts.consents(session, contact.id)):
        return Outcome(None, "no_consent")
    decision = rate_decision(kind, _recent(session, contact.id, now), now, LIMIT)
    start = send_at(kind, now, QUIET, zone)
    message = ReachMessage(
        created_at=now,
        contact_id=contact.id,
        unit_id=unit_id,
        kind=kind.value,
        purpose=rule.purpose.value,
        channel=channel.value,
        lang=contact.lang,
        params={k: str(v) for k, v in params.items()},
        link=link,
        state="pending" if decision.allowed else "suppressed",
        reason=None if decision.allowed else decision.reason,
        attempts=0,
        next_attempt_at=start,
        expires_at=expires_at(kind, start),
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:  # the same dedupe key written by a concurrent transaction
        return Outcome(None, "duplicate")
    return Outcome(message.id, message.state, decision.reason, decision.retry_after_s)


def _recent(session: Session, contact_id: int, now: dt.datetime) -> list[tuple[dt.datetime, Kind]]:
    rows = session.execute(
        select(ReachMessage.created_at, ReachMessage.kind).where(
            ReachMessage.contact_id == contact_id,
            ReachMessage.state != "suppressed",
            ReachMessage.created_at > now - dt.timedelta(days=1),
        )
    ).all()
    return [(r.created_at, Kind(r.kind)) for r in rows]
