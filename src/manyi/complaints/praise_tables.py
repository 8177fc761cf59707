"""ORM mapping of praise (表扬) registered by the complaint desk (domain.praise)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class ComplaintPraise(Base):
    """One customer's praise of one staff member, kept against the staff member and the unit
    they worked at when it was registered (`unit_path`: the data scope)."""

    __tablename__ = "complaint_praise"
    __table_args__ = (
        CheckConstraint("channel IN ('phone', 'letter', 'online', 'in_person')", name="channel"),
        # Service stars count one outlet's tellers over a quarter or a year.
        Index("ix_complaint_praise_staff_received", "staff_id", "received_on"),
        Index(
            "ix_complaint_praise_path_received",
            "unit_path",
            "received_on",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
