"""ORM mapping of inspection plans, mystery shopping and remote spot checks.

The visits themselves are `inspection_visits` (the inspections part); a plan's visits carry
`plan_ref = "plan:<id>"`, a mystery assignment and a remote check each own one visit.
`unit_path` copies the unit's path so the data scope is one indexed prefix test.
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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedText, UTCDateTime


class InspectionPlan(Base):
    """A scheduled plan (巡查: every outlet under a unit, n times in a period) or a spot-check
    draw (抽查: the seed, the sample size and what was drawn, so the draw can be repeated)."""

    __tablename__ = "inspection_plans"
    __table_args__ = (
        CheckConstraint("kind IN ('scheduled', 'spot')", name="kind"),
        Index("ix_inspection_plans_scope", "unit_path", "starts_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    period: Mapped[str] = mapped_column(String(16))  # "2027-Q1"; a spot check: its day
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    visits_per_outlet: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A spot check's draw as it was made: the inputs of each outlet, the strata, the picks.
    draw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class MysteryScenario(Base):
    """A mystery-shopping script (暗访脚本): what the shopper asks for and does, step by step
    (`steps`: [{"zh": …, "en": …}]); bank-wide data."""

    __tablename__ = "mystery_scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class MysteryAssignment(Base):
    """A scenario sent to one outlet: its visit, and the shopper's single-use link.

    The link's token is random; `token_hash` (SHA-256) finds it and the token itself is sealed
    at rest (as survey links are) so the inspector can hand the link over again until it is
    used. `used_at` is set once, by a filtered UPDATE: the link is then spent.
    """

    __tablename__ = "mystery_assignments"
    __table_args__ = (Index("ix_mystery_assignments_scope", "unit_path", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("mystery_scenarios.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(EncryptedText("mystery_assignments.token"))
    shopper_label: Mapped[str] = mapped_column(String(60), default="")  # never a real name
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class RemoteCheck(Base):
    """A remote spot check (远程督导): the service interval reviewed (drawn from the seed), its
    figures as the inspector saw them, and the inspector's notes; its visit holds the results."""

    __tablename__ = "remote_checks"
    __table_args__ = (Index("ix_remote_checks_scope", "unit_path", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    day: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
