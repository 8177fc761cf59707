"""ORM mapping of satisfaction responses: one row per answered survey or imported response."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime

# Millions of responses a year across a large bank (bench/quality.py: 10 million over two years).
BigId = BigInteger().with_variant(Integer(), "sqlite")

SOURCES = ("import", "survey", "rating_pad")
TRIGGERS = ("ticket", "bundle", "complaint", "visit")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class QualityResponse(Base):
    """A customer's answer: CSAT (1–5), NPS (0–10), CES (1–7), each optional, and a comment.

    `source` says where it came from and `external_id` its id there (the file's response_id for
    imports), unique together so a re-import adds nothing. `unit_path` is the outlet's
    materialised path at the time it was stored, for the data scope (`org.scope.in_scope`).
    """

    __tablename__ = "quality_responses"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_quality_responses_source_external_id"),
        CheckConstraint(f"source IN ({_in(SOURCES)})", name="source"),
        CheckConstraint(f"trigger IS NULL OR trigger IN ({_in(TRIGGERS)})", name="trigger"),
        CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps"),
        CheckConstraint("ces IS NULL OR ces BETWEEN 1 AND 7", name="ces"),
        Index("ix_quality_responses_outlet_answered", "outlet_id", "answered_at"),
        # Subtree reports: `unit_path LIKE '/1/4/%'` then the period. text_pattern_ops lets
        # PostgreSQL use the index for LIKE 'prefix%' whatever the database's collation.
        Index(
            "ix_quality_responses_path_answered",
            "unit_path",
            "answered_at",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
        Index("ix_quality_responses_teller_answered", "teller_staff_id", "answered_at"),
        # The roll-up worker and reports read a period's rows across all outlets (0020).
        Index("ix_quality_responses_answered", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    teller_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    service: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str | None] = mapped_column(String(16), nullable=True)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    csat: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    nps: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    ces: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    imported_batch: Mapped[str | None] = mapped_column(String(40), nullable=True)


class QualityMonthly(Base):
    """Roll-up: the `Aggregate` sums of one outlet's responses in one local month (the bank's
    zone, `QualityRollupState.tz`), kept by the worker (`quality.rollups`).

    Per outlet and month, not per day, teller or service: 10 million responses over 16,000
    outlets and two years are under one response per outlet and day, so finer keys would store
    about as many rows as the raw table (see docs/quality.md, "Speed"). `unit_path` is the raw
    rows' (grouped by it too), so a subtree filter on it selects exactly the same responses.
    A row covers the responses with `id <= QualityRollupState.watermark` unless its (outlet,
    month) is in `quality_rollup_dirty`.
    """

    __tablename__ = "quality_monthly"
    __table_args__ = (
        UniqueConstraint("outlet_id", "unit_path", "month", name="uq_quality_monthly_key"),
        Index(
            "ix_quality_monthly_path_month",
            "unit_path",
            "month",
            postgresql_ops={"unit_path": "text_pattern_ops"},
        ),
        Index("ix_quality_monthly_month", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM", local
    responses: Mapped[int] = mapped_column(BigInteger)
    csat_n: Mapped[int] = mapped_column(BigInteger)
    csat_top2: Mapped[int] = mapped_column(BigInteger)
    csat_sum: Mapped[int] = mapped_column(BigInteger)
    csat_sumsq: Mapped[int] = mapped_column(BigInteger)
    nps_n: Mapped[int] = mapped_column(BigInteger)
    nps_pro: Mapped[int] = mapped_column(BigInteger)
    nps_det: Mapped[int] = mapped_column(BigInteger)
    ces_n: Mapped[int] = mapped_column(BigInteger)
    ces_sum: Mapped[int] = mapped_column(BigInteger)
    ces_sumsq: Mapped[int] = mapped_column(BigInteger)


class QualityRollupState(Base):
    """One row (id 1): the zone the roll-ups' months are in and the watermark: every response
    with `id <= watermark` is in `quality_monthly` or in a dirty (outlet, month)."""

    __tablename__ = "quality_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    watermark: Mapped[int] = mapped_column(BigInteger)


class QualityRollupDirty(Base):
    """An (outlet, local month) whose roll-up row is stale: reports read its raw rows until the
    worker recomputes it. `starts_at`/`ends_at` are the month's bounds as UTC instants."""

    __tablename__ = "quality_rollup_dirty"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
