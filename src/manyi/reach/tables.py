"""Customer reach's tables: contacts, their consents, the message outbox, the bank's templates.

A contact is a customer's mobile number (sealed; found by its blind index, never by the number)
and, when known, the person key other features hold for the same customer (a complaint's or a
bundle's `person_key`, a survey invitation's `customer_key`): that is how a feature that knows
only the key reaches the customer without ever seeing the number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedJSON, EncryptedText, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")

MESSAGE_STATES = ("pending", "sending", "sent", "delivered", "failed", "suppressed", "expired")


class ReachContact(Base):
    __tablename__ = "reach_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_key: Mapped[str] = mapped_column(String(64), unique=True)  # blind index of the mobile
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(EncryptedText("reach_contacts.phone"))
    phone_tail: Mapped[str] = mapped_column(String(4))  # for the masked number on pages
    wechat_openid: Mapped[str | None] = mapped_column(EncryptedText("reach_contacts.openid"))
    lang: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReachConsent(Base):
    """One decision of a customer about one purpose; the latest counts, the history stays."""

    __tablename__ = "reach_consents"
    __table_args__ = (Index("ix_reach_consents_contact", "contact_id", "purpose", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("reach_contacts.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))  # "status_page", "booking", "staff", ...
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReachMessage(Base):
    """One message to one customer on one channel: the outbox row (see `manyi.outbox`)."""

    __tablename__ = "reach_messages"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in MESSAGE_STATES) + ")", name="state"
        ),
        CheckConstraint("channel IN ('sms', 'wechat')", name="channel"),
        Index(
            "ix_reach_messages_due",
            "state",
            "next_attempt_at",
            sqlite_where=text("state IN ('pending', 'sending')"),
            postgresql_where=text("state IN ('pending', 'sending')"),
        ),
        Index("ix_reach_messages_contact", "contact_id", "created_at"),
        Index("ix_reach_messages_unit", "unit_id", "created_at"),
        Index("ix_reach_messages_gateway", "gateway_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[int] = mapped_column(ForeignKey("reach_contacts.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # whose scope
    kind: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8))
    # The template's values (a code, a reference, a link): sealed like other personal data.
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("reach_messages.params"))
    link: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(200))  # why suppressed / expired
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    gateway: Mapped[str | None] = mapped_column(String(32))
    gateway_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    receipt: Mapped[str | None] = mapped_column(String(32))  # the gateway's word
    last_error: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class ReachTemplate(Base):
    """The bank's own words for a message kind in one language (else the default)."""

    __tablename__ = "reach_templates"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReachTicketWatch(Base):
    """A waiting customer who asked for text-message alerts on a ticket's status page."""

    __tablename__ = "reach_ticket_watches"
    __table_args__ = (Index("ix_reach_ticket_watches_open", "done_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The status page's token (the customer's capability to follow the ticket), sealed.
    token: Mapped[str] = mapped_column(EncryptedText("reach_ticket_watches.token"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("reach_contacts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    near_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    called_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
