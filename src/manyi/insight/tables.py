"""ORM mapping for complaint intelligence."""

from __future__ import annotations

import datetime as dt

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

from manyi.db import Base, UTCDateTime, utcnow


class IssueCategoryRow(Base):
    """A prominent-issue category (突出问题) with its target and timetable (domain.issues)."""

    __tablename__ = "insight_issue_categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_department: Mapped[str] = mapped_column(String(32))
    target_decline_pct: Mapped[float] = mapped_column(Float, default=0.0)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class OpinionRow(Base):
    """An opinion or suggestion (意见建议) from a customer forum, online media, a letter, ...
    (domain.opinions): classified like a complaint, outside the regulatory clock."""

    __tablename__ = "insight_opinions"
    __table_args__ = (
        CheckConstraint(
            "source_kind IN ('forum', 'online_media', 'letter', 'phone', 'in_person', 'other')",
            name="source_kind",
        ),
        CheckConstraint("state IN ('new', 'reviewed', 'adopted', 'not_adopted')", name="state"),
        Index(
            "ix_insight_opinions_path_received",
            "unit_path",
            "received_at",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(500), default="")  # a link, a letter's number
    text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    business_code: Mapped[str | None] = mapped_column(String(64))
    cause_code: Mapped[str | None] = mapped_column(String(64))
    appeal_code: Mapped[str | None] = mapped_column(String(64))
    issue_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="new")
    reply: Mapped[str] = mapped_column(Text, default="")
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class IssueAlert(Base):
    """An emerging-issue alert (domain.detector): one per category × unit × week (the unique
    constraint makes the worker's job idempotent, however many workers run it). `case_ids` are
    the complaints of that week behind it."""

    __tablename__ = "insight_issue_alerts"
    __table_args__ = (
        UniqueConstraint("category_code", "unit_id", "week", name="uq_insight_issue_alert"),
        Index(
            "ix_insight_issue_alerts_scope",
            "unit_path",
            "week",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    week: Mapped[dt.date] = mapped_column(Date)  # the Monday
    count: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))  # poisson | negbin
    case_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ComplaintRollup(Base):
    """Complaint figures per local month × unit × dimension key (`insight.rollup`): the cases
    of the month whose responsible unit's nearest tier-1 branch (or the unit itself, when it
    has none) is `unit_id`. `dimension` is "total" (key "") or an analysis dimension."""

    __tablename__ = "insight_complaint_rollup"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    unit_path: Mapped[str] = mapped_column(String(400))
    count: Mapped[int] = mapped_column(Integer)
    upheld: Mapped[int] = mapped_column(Integer)
    with_verdict: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    disputed: Mapped[int] = mapped_column(Integer)


class ComplaintRollupMonth(Base):
    """A month of `insight_complaint_rollup` and how far it can be trusted: it holds exactly
    the month's cases as they were at `valid_as_of` (no case of the month updated since, none
    added with an id above `ids_as_of`), with the units as they were when their latest
    `updated_at` was `units_as_of`."""

    __tablename__ = "insight_complaint_rollup_months"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    valid_as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    units_as_of: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ids_as_of: Mapped[int] = mapped_column(BigInteger, default=0)  # the highest case id then
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
