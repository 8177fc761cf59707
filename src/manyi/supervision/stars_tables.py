"""ORM mapping of the service stars: programmes (as data) and nominations (the outlet's step,
the branch's, head office's; an awarded nomination is a star)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime

NOMINATION_STATES = "'nominated', 'branch_approved', 'awarded', 'rejected'"


class StarProgramme(Base):
    """A star programme: its period and its definition (eligibility, criteria and weights,
    levels, quotas) as head office wrote it (`domain.star_definitions.parse_programme` reads it)."""

    __tablename__ = "star_programmes"
    __table_args__ = (
        CheckConstraint("period IN ('quarter', 'year')", name="period"),
        Index("ix_star_programmes_period", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StarNomination(Base):
    """One teller nominated in one programme (once: a rejection is final for the period).

    `explanation` keeps the assessment as it stood at nomination (each criterion's raw value,
    score, weight and contribution), so the approvers see what the outlet saw. `branch_code` is
    the tier-1 branch the quota counts against; `unit_path` the outlet's, for the data scope.
    """

    __tablename__ = "star_nominations"
    __table_args__ = (
        UniqueConstraint("programme_id", "staff_id", name="uq_star_nominations_staff"),
        CheckConstraint(f"state IN ({NOMINATION_STATES})", name="state"),
        Index(
            "ix_star_nominations_path_state",
            "unit_path",
            "state",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
        Index("ix_star_nominations_programme_branch", "programme_id", "branch_code", "state"),
        # The badge: a teller's current award.
        Index("ix_star_nominations_staff_state", "staff_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("star_programmes.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    branch_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    level_code: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    praise: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    nominated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    branch_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    branch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    awarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejected_step: Mapped[str | None] = mapped_column(String(8))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
