"""The outlet head's self-check tables (migration 0051): one row per round of an outlet's local
day, planned ahead with its times (so a later change of hours or calendar leaves the record as
it was), and one row per answered item of a submitted round.

`alert_at` is when the worker looks at a round not yet submitted; the worker claims the round by
clearing it in a filtered UPDATE (`selfcheck_alerts.claim`), so the branch hears of a missed round
once, however many workers run. A submission clears it too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime
from manyi.guidance.domain.selfcheck import Round


class SelfCheckRound(Base):
    __tablename__ = "guidance_selfcheck_rounds"
    __table_args__ = (
        UniqueConstraint("outlet_id", "local_day", "round"),
        CheckConstraint(f"round IN ({', '.join(repr(r.value) for r in Round)})", name="round"),
        Index(
            "ix_guidance_selfcheck_rounds_path_day",
            "outlet_path",
            "local_day",
            postgresql_ops={"outlet_path": "text_pattern_ops"},
        ),
        Index("ix_guidance_selfcheck_rounds_alert_at", "alert_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outlet_path: Mapped[str] = mapped_column(String(400))
    local_day: Mapped[dt.date] = mapped_column(Date)
    round: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)  # the checklist's version
    open_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    missed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    day_ends: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    failed: Mapped[int] = mapped_column(Integer, default=0)  # failed items, once submitted
    alert_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    alerted: Mapped[int] = mapped_column(Integer, default=0)  # how many staff were told


class SelfCheckAnswer(Base):
    __tablename__ = "guidance_selfcheck_answers"
    __table_args__ = (UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("guidance_selfcheck_rounds.id"))
    code: Mapped[str] = mapped_column(String(8))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    # [{"sha256", "filename", "content_type", "size"}]: the photo, kept by content hash.
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id"))
