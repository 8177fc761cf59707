"""ORM mapping for the notification outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime

# Messages accumulate across a bank; SQLite needs INTEGER for its rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class NotifyMessage(Base):
    """One notification to one staff member on one channel (the outbox row).

    Written in the same transaction as the business change that causes it,
    so it exists exactly when that change committed; a worker delivers it
    later (see notify.delivery.deliver_due).
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('in_app', 'sms')", name="channel"),
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The worker's due query only ever looks at unfinished messages; the
        # partial index stays small however many sent messages pile up.
        Index(
            "ix_notify_outbox_due",
            "state",
            "next_attempt_at",
            sqlite_where=text("state IN ('pending', 'sending')"),
            postgresql_where=text("state IN ('pending', 'sending')"),
        ),
        # A staff member's inbox, newest first.
        Index("ix_notify_outbox_inbox", "recipient_staff_id", "channel", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # whose scope it belongs to
    channel: Mapped[str] = mapped_column(String(16))
    recipient_staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    address: Mapped[str | None] = mapped_column(String(32))  # the phone number for SMS
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The lease of the worker that claimed it, and that claim's token.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # in-app only
    last_error: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
