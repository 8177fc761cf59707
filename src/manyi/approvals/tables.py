"""ORM mapping of pending changes (maker-checker)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class PendingChange(Base):
    """A proposed change to a bank-wide setting, waiting for a second person's decision.

    `kind` names the setting and the operation (`complaint_policy.add`, `counter_catalogue.edit`),
    `payload` what the owning feature applies on approval, `summary` what the page shows (the
    difference, in the setting's own terms).
    """

    __tablename__ = "pending_changes"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected', 'withdrawn')", name="state"),
        Index("ix_pending_changes_kind_state", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
