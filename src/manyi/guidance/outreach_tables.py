"""Outreach events' tables (普及金融知识, migration 0050): the events, the staff who held them and
their photos as evidence.

An event is its outlet's (`outlet_path` copied for the scope's LIKE); `event_on` is the day it
counts on (held: the day held; otherwise the planned day), so a period's figures are one
indexed range. No personal data: the free text is checked for ID, mobile and card numbers
before it is stored (`domain.outreach.clean_text`), and the people met are only counted.
Photos are kept in the database like the home visits' (JPEG, PNG or WebP by their bytes).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime
from manyi.guidance.domain.outreach import State, Topic, Venue

BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"  # type: ignore[attr-defined]


class OutreachEvent(Base):
    """One outreach event of an outlet, from its plan to its record (or cancellation)."""

    __tablename__ = "guidance_outreach_events"
    __table_args__ = (
        CheckConstraint(_in("state", State), name="state"),
        CheckConstraint(_in("topic", Topic), name="topic"),
        CheckConstraint(_in("venue_kind", Venue), name="venue_kind"),
        CheckConstraint(
            "state <> 'held' OR (participants >= 1 AND held_on IS NOT NULL)", name="held"
        ),
        Index("ix_guidance_outreach_events_path_day", "outlet_path", "event_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outlet_path: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(80))
    venue_kind: Mapped[str] = mapped_column(String(16))
    venue: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(500), default="")
    planned_on: Mapped[dt.date] = mapped_column(Date)
    event_on: Mapped[dt.date] = mapped_column(Date)
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    participants: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    planned_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    planned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutreachStaff(Base):
    """A member of staff who held an event."""

    __tablename__ = "guidance_outreach_staff"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("guidance_outreach_events.id"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)


class OutreachPhoto(Base):
    """A photo of an event as evidence (JPEG, PNG or WebP, checked by its bytes)."""

    __tablename__ = "guidance_outreach_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("guidance_outreach_events.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
