"""The cockpit's roll-up tables (migration 0042): `cockpit_hourly` (outlet × local day × hour
of issue × service × class: additive sums and the wait histogram), `cockpit_daily` (outlet ×
local day: the same totals, the exact figures of the day and the other features' measures),
the state row (zone, target and watermarks) and the dirty outlet-days (docs/cockpit.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.cockpit.domain.histogram import BUCKETS
from manyi.db import Base


class _Sums:
    """The additive ticket sums and the wait histogram (w00 … w20), shared by both tables."""

    issued: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    served: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    no_shows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cancellations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    transfers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    wait_sum_s: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    wait_n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    wait_within: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    service_sum_s: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    service_n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


for _i in range(BUCKETS):
    setattr(_Sums, f"w{_i:02d}", mapped_column(f"w{_i:02d}", Integer, nullable=False, default=0))
    _Sums.__annotations__[f"w{_i:02d}"] = "Mapped[int]"


class CockpitHourly(_Sums, Base):
    __tablename__ = "cockpit_hourly"
    __table_args__ = (Index("ix_cockpit_hourly_day", "day"),)

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    klass: Mapped[str] = mapped_column(String(16), primary_key=True)


class CockpitDaily(_Sums, Base):
    """One outlet's day. Measures an outlet does not have (no counter bundles, no rating pad,
    no surveys, no appointments) stay NULL, not zero, so averages over a branch skip them."""

    __tablename__ = "cockpit_daily"
    __table_args__ = (
        Index("ix_cockpit_daily_day_path", "day", "unit_path"),
        Index("ix_cockpit_daily_path_day", "unit_path", "day"),
    )

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_path: Mapped[str] = mapped_column(String(400))
    # The outlet's tier-1 and tier-2 branches when rolled up: league tables group by them in SQL.
    tier1_id: Mapped[int | None] = mapped_column(Integer)
    tier2_id: Mapped[int | None] = mapped_column(Integer)
    wait_mean_s: Mapped[float | None] = mapped_column(Float)
    wait_p90_s: Mapped[float | None] = mapped_column(Float)  # exact (nearest rank)
    service_level: Mapped[float | None] = mapped_column(Float)
    abandonment: Mapped[float | None] = mapped_column(Float)
    service_mean_s: Mapped[float | None] = mapped_column(Float)
    counter_open_s: Mapped[int | None] = mapped_column(BigInteger)
    busy_s: Mapped[int | None] = mapped_column(BigInteger)
    utilisation: Mapped[float | None] = mapped_column(Float)
    appointments_booked: Mapped[int | None] = mapped_column(Integer)
    appointments_kept: Mapped[int | None] = mapped_column(Integer)
    bundles_finished: Mapped[int | None] = mapped_column(Integer)
    bundle_transactions: Mapped[int | None] = mapped_column(Integer)
    forms_saved: Mapped[int | None] = mapped_column(Integer)
    fields_saved: Mapped[int | None] = mapped_column(Integer)
    pins_saved: Mapped[int | None] = mapped_column(Integer)
    authorisations_saved: Mapped[int | None] = mapped_column(Integer)
    ratings_n: Mapped[int | None] = mapped_column(Integer)
    ratings_sum: Mapped[int | None] = mapped_column(Integer)  # 4 very satisfied … 1 dissatisfied
    ratings_top: Mapped[int | None] = mapped_column(Integer)  # very satisfied or satisfied
    survey_n: Mapped[int | None] = mapped_column(Integer)  # CSAT answers (1–5)
    survey_sum: Mapped[int | None] = mapped_column(Integer)
    survey_top: Mapped[int | None] = mapped_column(Integer)  # 4 or 5
    complaints: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    complaint_rate: Mapped[float | None] = mapped_column(Float)  # per 10,000 served


class CockpitRollupState(Base):
    """One row (id 1): the zone and the wait target the roll-ups were built with (a change
    rebuilds them), a watermark per source table, and the last day settled in full."""

    __tablename__ = "cockpit_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    target_s: Mapped[int] = mapped_column(Integer)
    lobby_events: Mapped[int] = mapped_column(BigInteger, default=0)
    ratings: Mapped[int] = mapped_column(BigInteger, default=0)
    complaints: Mapped[int] = mapped_column(BigInteger, default=0)
    surveys: Mapped[int] = mapped_column(BigInteger, default=0)
    bundles: Mapped[int] = mapped_column(BigInteger, default=0)
    appointments: Mapped[int] = mapped_column(BigInteger, default=0)
    settled_day: Mapped[dt.date | None] = mapped_column(Date)


class CockpitRollupDirty(Base):
    """An outlet-day whose roll-up rows are stale: the worker recomputes it in full."""

    __tablename__ = "cockpit_rollup_dirty"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
