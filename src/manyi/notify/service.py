"""Notification use cases: write to the outbox, page staff, read the inbox.

`enqueue` writes the outbox row inside the caller's unit of work, so a
notification exists exactly when the business change that caused it
committed. Delivering what is due is the worker's side: see `delivery`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from manyi import audit
from manyi.errors import InvalidInput, NotFound
from manyi.notify.delivery import DEFAULT_LEASE, DeliveryReport, deliver_due
from manyi.notify.model import (
    BODY_MAX,
    PAGE_MESSAGE_MAX,
    SUBJECT_MAX,
    ChannelName,
    MessageState,
    Translate,
    normalise_phone,
    paging_scope,
    render_subject,
)
from manyi.notify.tables import NotifyMessage
from manyi.org.model import path_in_scope
from manyi.org.tables import Staff, Unit

# The worker's side lives in `delivery`; these names stay importable from here.
__all__ = [
    "DEFAULT_LEASE",
    "PAGE_SUBJECT",
    "DeliveryReport",
    "InboxItem",
    "deliver_due",
    "enqueue",
    "inbox",
    "mark_read",
    "page_staff",
    "staff_phone",
    "unread_count",
]

DEDUPE_KEY_MAX = 200
INBOX_MAX = 200

# Message ids of the subjects manyi writes (translated when shown).
PAGE_SUBJECT = "Second-line support needed at {unit}"

M = NotifyMessage


def _channel(value: str, field: str = "channel") -> ChannelName:
    try:
        return ChannelName(value)
    except ValueError:
        raise InvalidInput(
            "unknown notification channel {channel}", field, channel=str(value)
        ) from None


def staff_phone(staff: Staff) -> str | None:
    """A staff member's mobile number for SMS (`Staff.mobile`, entered on their admin page)."""
    return staff.mobile or None


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
    sms_too: bool = False,
) -> list[int]:
    """The lobby manager calls in second-line staff (二线人员支援); returns the message ids.

    One message per recipient and channel; with `sms_too`, also an SMS to each recipient who
    has a mobile number (those without one get the other channels only). Recipients must be
    active staff of the unit's branch (see `model.paging_scope`); the request is checked in
    full before anything is written, and audited.
    """
    if not path_in_scope(actor.unit_path, unit.path):
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
    plan = [(staff_id, name) for staff_id in wanted for name in names]
    if sms_too and ChannelName.SMS not in names:
        plan += [(i, ChannelName.SMS) for i in wanted if staff_phone(found[i])]
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
        for staff_id, name in plan
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
            "channels": sorted({n.value for _, n in plan}),
            "messages": ids,
            "message": text,
        },
        unit_id=unit.id,
        unit_path=unit.path,
        now=now,
    )
    return ids


# --- the inbox ----------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    """One delivered in-app message, with what its reader needs to place it."""

    id: int
    unit_id: int
    subject: str
    body: str
    data: Mapping[str, Any]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    read_at: dt.datetime | None
    created_by_id: int | None
    # The unit the message was sent for, and who sent it (None: manyi itself).
    unit_code: str = ""
    unit_name_zh: str = ""
    unit_name_en: str = ""
    sender_name: str | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def subject_text(self, translate: Translate | None = None) -> str:
        return render_subject(self.subject, self.data, translate)

    def unit_name(self, lang: str) -> str:
        return self.unit_name_en if lang == "en" and self.unit_name_en else self.unit_name_zh


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
    sender = aliased(Staff)
    query = (
        select(M, Unit.code, Unit.name_zh, Unit.name_en, sender.display_name)
        .join(Unit, Unit.id == M.unit_id)
        .outerjoin(sender, sender.id == M.created_by_id)
        .where(_inbox_filter(staff_id))
    )
    if unread_only:
        query = query.where(M.read_at.is_(None))
    query = query.order_by(M.id.desc()).limit(max(1, min(limit, INBOX_MAX)))
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
            unit_code=code,
            unit_name_zh=name_zh,
            unit_name_en=name_en or "",
            sender_name=sender_name,
        )
        for row, code, name_zh, name_en, sender_name in session.execute(query)
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
