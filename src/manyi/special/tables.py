"""Special service's tables: visit requests and the photos taken on a visit.

The customer's particulars (name, ID number, the relative who asked, the evidence described)
are sealed at rest; the family's mobile number is reach's contact (`contact_id`), never stored
here. The bundle done on site is linked by its reference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedJSON, UTCDateTime
from manyi.special.domain.requests import STATES

BigId = BigInteger().with_variant(Integer(), "sqlite")

SOURCES = ("phone", "outlet", "complaint")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SpecialVisit(Base):
    """One request for a home or hospital visit, from the call to the closed visit."""

    __tablename__ = "special_visits"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint("staff_1_id IS NULL OR staff_1_id <> staff_2_id", name="two_staff"),
        Index("ix_special_visits_outlet_requested", "outlet_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outlet_path: Mapped[str] = mapped_column(String(400), index=True)
    source: Mapped[str] = mapped_column(String(16))
    complaint_reference: Mapped[str | None] = mapped_column(String(40))
    # customer_name, id_number, relative_name, relation, place_text, evidence: sealed.
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("special_visits.details"))
    place_kind: Mapped[str] = mapped_column(String(16))
    need: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("reach_contacts.id"))
    state: Mapped[str] = mapped_column(String(16))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    needs_branch: Mapped[bool] = mapped_column(Boolean)
    outlet_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outlet_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    branch_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    branch_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    staff_1_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    staff_2_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    visit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # agreed with the family
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    visited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    visit_place: Mapped[str] = mapped_column(String(200), default="")
    geo: Mapped[str] = mapped_column(String(40), default="")  # "lat,lon" when the tablet gave it
    bundle_reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(String(500), default="")  # refused or cancelled


class SpecialVisitPhoto(Base):
    """A photo taken on the visit as evidence (JPEG, PNG or WebP, checked by its bytes)."""

    __tablename__ = "special_visit_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("special_visits.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
