"""Notification use cases: enqueue, page staff, deliver due messages, the inbox.

`enqueue` writes the outbox row inside the caller's unit of work, so a
notification exists exactly when the business change that caused it
committed. `deliver_due` is the worker's side: it claims due messages in a
short transaction of its own, sends each outside any transaction, and records
each outcome in another short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.notify.channels import ChannelAdapter
from manyi.notify.model import (
    BODY_MAX,
    MAX_ATTEMPTS,
    PAGE_MESSAGE_MAX,
    SUBJECT_MAX,
    ChannelName,
    DeliveryError,
    FailureOutcome,
    MessageState,
    OutboxMessage,
    Translate,
    after_failure,
    clip_error,
    normalise_phone,
    paging_scope,
    render_subject,
)
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import Staff, Unit

log = logging.getLogger("manyi.notify")

# How long a claim holds a message. A real gateway times out within seconds,
# and a pass stops handing messages to channels after LEASE_BUDGET of the
# lease (handing the rest back), so a live worker never loses its lease.
DEFAULT_LEASE = dt.timedelta(minutes=2)
LEASE_BUDGET = 0.5
DEDUPE_KEY_MAX = 200
INBOX_MAX = 200

# Message ids of the subjects manyi writes (translated when shown).
PAGE_SUBJECT = "Second-line support needed at {unit}"
ABANDONED_ERROR = "the worker stopped during the last attempt; the outcome is unknown"

M = NotifyMessage


def _channel(value: str, field: str = "channel") -> ChannelName:
    try:
        return ChannelName(value)
    except ValueError:
        raise InvalidInput(
            "unknown notification channel {channel}", field, channel=str(value)
        ) from None


def staff_phone(staff: Staff) -> str | None:
    """A staff member's mobile number for SMS.

    `org.tables.Staff` has no phone column yet, so until it has one an SMS to
    staff needs an explicit `address`; this is the one place to change then.
    """
    phone = getattr(staff, "phone", None)
    return phone if isinstance(phone, str) and phone.strip() else None


# --- writing to the outbox ----------------------------------------------------------


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient_staff_id: int,
    subject: str,
    body: str,
    now: dt.datetime,
    unit_id: int,
    data: Mapping[str, Any] | None = None,
    created_by_id: int | None = None,
    dedupe_key: str | None = None,
    address: str | None = None,
) -> int:
    """Add a message to the outbox in the caller's transaction; returns its id.

    With a `dedupe_key` that is already in the outbox, nothing is added and
    the existing message's id is returned: a scan that runs twice notifies
    once. `address` is the phone number for SMS (default: the recipient's).
    """
    name = _channel(channel)
    subject = subject.strip()
    if not subject:
        raise InvalidInput("a notification needs a subject", "subject")
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(
            "the subject is longer than {max} characters", "subject", max=SUBJECT_MAX
        )
    if len(body) > BODY_MAX:
        raise InvalidInput("the message is longer than {max} characters", "body", max=BODY_MAX)
    if dedupe_key is not None:
        dedupe_key = dedupe_key.strip()
        if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_MAX:
            raise InvalidInput(
                "the dedupe key must have 1 to {max} characters", "dedupe_key", max=DEDUPE_KEY_MAX
            )
    recipient = session.get(Staff, recipient_staff_id)
    if recipient is None:
        raise InvalidInput(
            "there is no staff member {id}", "recipient_staff_id", id=recipient_staff_id
        )
    if not recipient.active:
        raise InvalidInput(
            "{name} is inactive and cannot be notified",
            "recipient_staff_id",
            name=recipient.display_name,
        )
    stored_address = _sms_address(recipient, address) if name is ChannelName.SMS else None
    values = {
        "created_at": now,
        "unit_id": unit_id,
        "channel": name.value,
        "recipient_staff_id": recipient.id,
        "address": stored_address,
        "subject": subject,
        "body": body,
        "data": dict(data or {}),
        "state": MessageState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "dedupe_key": dedupe_key,
        "created_by_id": created_by_id,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(M).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    new_id = session.execute(statement.returning(M.id)).scalar_one_or_none()
    if new_id is None:  # the dedupe key was taken
        existing = session.scalar(select(M.id).where(M.dedupe_key == dedupe_key))
        assert existing is not None
        return int(existing)
    return int(new_id)


def _sms_address(recipient: Staff, address: str | None, field: str = "recipient_staff_id") -> str:
    raw = address if address is not None else staff_phone(recipient)
    if not raw or not raw.strip():
        raise InvalidInput(
            "{name} has no mobile number for SMS", field, name=recipient.display_name
        )
    number = normalise_phone(raw)
    if number is None:
        raise InvalidInput("{number} is not a mobile number", "address", number=raw)
    return number


def page_staff(
    session: Session,
    actor: audit.Actor,
    *,
    unit: Unit,
    recipient_ids: Iterable[int],
    message: str,
    now: dt.datetime,
    channels: Sequence[str] = (ChannelName.IN_APP.value,),
) -> list[int]:
    """The lobby manager calls in second-line staff (二线人员支援); returns the message ids.

    One message per recipient and channel. Recipients must be active staff of
    the unit's branch (see `model.paging_scope`); the request is checked in
    full before anything is written, and audited.
    """
    if not unit.path.startswith(actor.unit_path):
        raise NotFound("no unit {code}", "unit", code=unit.code)
    text = message.strip()
    if not text:
        raise InvalidInput("write what support you need", "message")
    if len(text) > PAGE_MESSAGE_MAX:
        raise InvalidInput(
            "the message is longer than {max} characters", "message", max=PAGE_MESSAGE_MAX
        )
    wanted = list(dict.fromkeys(recipient_ids))
    if not wanted:
        raise InvalidInput("choose at least one staff member to page", "recipients")
    names = [_channel(c, "channels") for c in dict.fromkeys(channels)]
    if not names:
        raise InvalidInput("choose at least one channel", "channels")
    scope = paging_scope(unit.id, unit.unit_level, unit.path)
    found = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(wanted)))}
    for staff_id in wanted:
        person = found.get(staff_id)
        # The lobby manager may page the branch's back office, outside their own
        # scope; beyond the branch, the refusal names no one.
        if person is None or not scope.contains(person.unit.path):
            raise InvalidInput(
                "staff member {id} is not in the branch of {unit} and cannot be paged for it",
                "recipients",
                id=staff_id,
                unit=unit.name_zh,
            )
        if not person.active:
            raise InvalidInput(
                "{name} is inactive and cannot be paged", "recipients", name=person.display_name
            )
        if ChannelName.SMS in names:
            _sms_address(person, None, "recipients")
    data = {"kind": "lobby.page", "unit": unit.code, "subject_params": {"unit": unit.name_zh}}
    ids = [
        enqueue(
            session,
            channel=name.value,
            recipient_staff_id=staff_id,
            subject=PAGE_SUBJECT,
            body=text,
            now=now,
            unit_id=unit.id,
            data=data,
            created_by_id=actor.id,
        )
        for staff_id in wanted
        for name in names
    ]
    audit.record(
        session,
        actor,
        entity_type="notify_outbox",
        entity_id=ids[0],
        action="notify.page_staff",
        summary={
            "unit": unit.code,
            "recipients": wanted,
            "channels": [n.value for n in names],
            "messages": ids,
            "message": text,
        },
        unit_id=unit.id,
        unit_path=unit.path,
        now=now,
    )
    return ids


# --- delivering -----------------------------------------------------------------------


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


# --- the inbox ----------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    id: int
    unit_id: int
    subject: str
    body: str
    data: Mapping[str, Any]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    read_at: dt.datetime | None
    created_by_id: int | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def subject_text(self, translate: Translate | None = None) -> str:
        return render_subject(self.subject, self.data, translate)


def _inbox_filter(staff_id: int) -> Any:
    return and_(
        M.recipient_staff_id == staff_id,
        M.channel == ChannelName.IN_APP.value,
        M.state == MessageState.SENT.value,
    )


def inbox(
    session: Session, staff_id: int, *, unread_only: bool = False, limit: int = 50
) -> list[InboxItem]:
    """A staff member's delivered in-app messages, newest first."""
    query = select(M).where(_inbox_filter(staff_id))
    if unread_only:
        query = query.where(M.read_at.is_(None))
    rows = session.scalars(query.order_by(M.id.desc()).limit(max(1, min(limit, INBOX_MAX))))
    return [
        InboxItem(
            id=row.id,
            unit_id=row.unit_id,
            subject=row.subject,
            body=row.body,
            data=row.data or {},
            created_at=row.created_at,
            sent_at=row.sent_at,
            read_at=row.read_at,
            created_by_id=row.created_by_id,
        )
        for row in rows
    ]


def unread_count(session: Session, staff_id: int) -> int:
    count = session.scalar(select(func.count()).where(_inbox_filter(staff_id), M.read_at.is_(None)))
    return int(count or 0)


def mark_read(session: Session, staff_id: int, message_id: int, now: dt.datetime) -> None:
    """Mark one inbox message read; only its recipient may, anyone else gets NotFound."""
    row = session.scalar(select(M).where(M.id == message_id, _inbox_filter(staff_id)))
    if row is None:
        raise NotFound("no message {id}", "message", id=message_id)
    if row.read_at is None:
        row.read_at = now
        session.flush()
