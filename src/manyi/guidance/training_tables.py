"""The typical-case library's and scenario training's tables (migration 0052): cases, modules
with their cases in order, assignments of a module to an outlet, and staff's attempts.

A case's text holds no personal data (checked before it is submitted and again when it is
published, `domain.cases.personal_data`); its source is named by kind and reference only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from manyi.guidance.domain.cases import CaseState, SourceKind

BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"  # type: ignore[attr-defined]


class GuidanceCase(Base):
    """One typical case (典型案例), from draft to published."""

    __tablename__ = "guidance_cases"
    __table_args__ = (
        CheckConstraint(_in("state", CaseState), name="state"),
        CheckConstraint(_in("source_kind", SourceKind), name="source_kind"),
        Index("ix_guidance_cases_state_path", "state", "unit_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    story: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    not_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the unit of the source
    unit_path: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(String(500), default="")


class GuidanceModule(Base):
    """A training module: published cases in order, questions, a pass mark, the checklist
    items it trains."""

    __tablename__ = "guidance_modules"
    __table_args__ = (CheckConstraint("state IN ('draft', 'published')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    pass_mark: Mapped[float] = mapped_column(Float)
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class GuidanceModuleCase(Base):
    __tablename__ = "guidance_module_cases"

    module_id: Mapped[int] = mapped_column(ForeignKey("guidance_modules.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("guidance_cases.id"))


class GuidanceAssignment(Base):
    """A module every staff member of an outlet is to complete: by head office, or after an
    inspection failed an item the module trains (`finding`: "visit 12 · G1")."""

    __tablename__ = "guidance_assignments"
    __table_args__ = (
        UniqueConstraint("module_id", "unit_id"),
        Index("ix_guidance_assignments_path", "unit_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("guidance_modules.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    finding: Mapped[str] = mapped_column(String(60), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GuidanceAttempt(Base):
    """A staff member's answers to a module: the score and whether it passed."""

    __tablename__ = "guidance_attempts"
    __table_args__ = (
        Index("ix_guidance_attempts_staff_module", "staff_id", "module_id"),
        Index("ix_guidance_attempts_path", "unit_path"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("guidance_modules.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the staff's unit then
    unit_path: Mapped[str] = mapped_column(String(400))
    answers: Mapped[list[int]] = mapped_column(JSON, default=list)
    right: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
