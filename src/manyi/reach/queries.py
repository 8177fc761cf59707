"""Reads for the customer-messages page: what was sent to whom (masked), when, and how it went."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi import sealed
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.personal import phone_index
from manyi.reach.contacts import mobile
from manyi.reach.domain.messages import Kind, render
from manyi.reach.tables import ReachContact, ReachMessage
from manyi.reach.templates_store import text_for

PAGE_SIZE = 100
HIDDEN_CODE = "••••••"


@dataclass(frozen=True)
class MessageRow:
    id: int
    created_at: dt.datetime
    unit_name_zh: str
    unit_name_en: str
    phone: str  # masked: the last four digits
    kind: str
    channel: str
    state: str
    reason: str
    attempts: int
    gateway: str
    receipt: str
    last_error: str
    text: str  # as the customer reads it; a verification code hidden


@dataclass(frozen=True)
class Filters:
    state: str = ""
    kind: str = ""
    phone: str = ""  # a whole mobile number: found by its blind index, never by LIKE


def messages(session: Session, scope_path: str, filters: Filters) -> list[MessageRow]:
    """The newest messages in scope (a message with no unit is head office's), filtered."""
    query = (
        select(ReachMessage, ReachContact.phone_tail, Unit.name_zh, Unit.name_en)
        .join(ReachContact, ReachContact.id == ReachMessage.contact_id)
        .outerjoin(Unit, Unit.id == ReachMessage.unit_id)
        .order_by(ReachMessage.id.desc())
        .limit(PAGE_SIZE)
    )
    if scope_path.count("/") > 2:  # below head office: its own units only
        query = query.where(in_scope(Unit.path, scope_path))
    else:
        query = query.where(or_(ReachMessage.unit_id.is_(None), in_scope(Unit.path, scope_path)))
    if filters.state:
        query = query.where(ReachMessage.state == filters.state)
    if filters.kind:
        query = query.where(ReachMessage.kind == filters.kind)
    if filters.phone:
        key = phone_index(mobile(filters.phone), keys=sealed.keys_of(session.info))
        query = query.where(ReachContact.phone_key == key)
    rows = []
    for message, tail, name_zh, name_en in session.execute(query).all():
        kind = Kind(message.kind)
        params = dict(message.params or {})
        if kind is Kind.VERIFICATION_CODE:
            params["code"] = HIDDEN_CODE
        rows.append(
            MessageRow(
                id=message.id,
                created_at=message.created_at,
                unit_name_zh=name_zh or "",
                unit_name_en=name_en or "",
                phone="*" * 7 + tail,
                kind=message.kind,
                channel=message.channel,
                state=message.state,
                reason=message.reason or "",
                attempts=message.attempts,
                gateway=message.gateway or "",
                receipt=message.receipt or "",
                last_error=message.last_error or "",
                text=render(text_for(session, kind, message.lang), params),
            )
        )
    return rows
