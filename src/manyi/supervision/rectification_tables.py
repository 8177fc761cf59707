"""ORM mapping of rectification tasks (整改): the task, each submission of evidence with its
files, and the escalation ladder's steps (one row per task and level: each step once)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class RectificationTask(Base):
    """One task. `unit_path` is the responsible unit's materialised path (the data scope);
    `issuer_unit_path` the issuer's, so colleagues above the issuer may verify in their stead.
    `next_check_at` is when the worker looks at the task again (None: nothing to watch), and a
    worker claims the task by moving it on (a compare-and-set)."""

    __tablename__ = "rectification_tasks"
    __table_args__ = (
        Index(
            "ix_rectification_tasks_scope",
            "unit_path",
            "state",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
        Index("ix_rectification_tasks_source", "source", "source_ref"),
        Index("ix_rectification_tasks_next_check", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence_required: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(String(400))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    issuer_unit_path: Mapped[str] = mapped_column(String(400), default="")
    due_on: Mapped[dt.date] = mapped_column(Date)
    working_days: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)  # the last submission's day
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # submissions so far
    last_reason: Mapped[str] = mapped_column(Text, default="")  # the last send-back's reason
    recheck: Mapped[str | None] = mapped_column(String(16))  # domain Recheck, None: not asked
    recheck_ref: Mapped[str] = mapped_column(String(200), default="")
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RectificationSubmission(Base):
    """The responsible side's account of what was done (one per submit), with its files."""

    __tablename__ = "rectification_submissions"
    __table_args__ = (UniqueConstraint("task_id", "round", name="uq_rectification_submission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RectificationEvidence(Base):
    """One file (photo or PDF) of a submission, kept under `var/` by content hash."""

    __tablename__ = "rectification_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_submissions.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RectificationEscalation(Base):
    """One step of the ladder (level 0: the owner warned; 1…: a unit up the tree told)."""

    __tablename__ = "rectification_escalations"
    __table_args__ = (UniqueConstraint("task_id", "level", name="uq_rectification_escalation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    notified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
