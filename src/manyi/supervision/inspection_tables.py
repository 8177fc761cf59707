"""ORM mapping of service standards and inspections: checklist versions, visits, results.

`inspection_visits.unit_path` copies the outlet's path so the data scope is one indexed prefix
test (`org.scope.in_scope`), as complaints and quality do. `recheck_of_task_id` names a
rectification task by id without a foreign key, so this part's tables do not depend on the
order the rectification engine's migration runs in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class ServiceStandard(Base):
    """One published version of the window-service checklist (`domain.standards.Item` as JSON,
    in group order). The highest version is the current one."""

    __tablename__ = "service_standards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class InspectionVisit(Base):
    """One inspection of one outlet against one checklist version."""

    __tablename__ = "inspection_visits"
    __table_args__ = (
        Index("ix_inspection_visits_scope", "unit_path", "planned_on"),
        Index("ix_inspection_visits_state", "state", "planned_on"),
        Index("ix_inspection_visits_plan_ref", "plan_ref"),
        Index("ix_inspection_visits_recheck", "recheck_of_task_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.visits.VisitKind
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    standard_id: Mapped[int] = mapped_column(ForeignKey("service_standards.id"))
    planned_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))  # domain.visits.VisitState
    # The inspector: None until one starts the visit, and for ever for a mystery shopper.
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    recheck_of_task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    plan_ref: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class InspectionResult(Base):
    """One item's answer in a visit. `photos` lists the files kept under var/inspections/
    ({sha256, filename, content_type, size}); `task_id` is the rectification task the failed
    item became (one at most)."""

    __tablename__ = "inspection_results"
    __table_args__ = (UniqueConstraint("visit_id", "item_code", name="uq_inspection_results_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"))
    item_code: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)  # scorecard.Outcome
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
