"""The cockpit's roll-up tables (migrations 0045–0047): `cockpit_hourly` (outlet × local day ×
hour of issue × service × class: additive sums and the wait histogram), `cockpit_daily` (outlet
× local day: the same totals, the exact figures of the day and the other features' measures),
the state row (zone, target and watermarks) and the dirty outlet-days (docs/cockpit.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, Float, Index, Integer, String
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
    # Lobby guidance (issue 23): customers met at the door, diverted, taught one to one, and
    # the seconds of queueing the completed diversions avoided.
    guided: Mapped[int | None] = mapped_column(Integer)
    diverted: Mapped[int | None] = mapped_column(Integer)
    taught: Mapped[int | None] = mapped_column(Integer)
    wait_avoided_s: Mapped[int | None] = mapped_column(BigInteger)
    # … and those diverted by channel (domain.figures.GUIDANCE_CHANNELS, migration 0053).
    diverted_self_service: Mapped[int | None] = mapped_column(Integer)
    diverted_mobile: Mapped[int | None] = mapped_column(Integer)
    diverted_online: Mapped[int | None] = mapped_column(Integer)
    diverted_other_outlet: Mapped[int | None] = mapped_column(Integer)
    diverted_appointment: Mapped[int | None] = mapped_column(Integer)
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
    guidance: Mapped[int] = mapped_column(BigInteger, default=0)
    settled_day: Mapped[dt.date | None] = mapped_column(Date)


class CockpitRollupDirty(Base):
    """An outlet-day whose roll-up rows are stale: the worker recomputes it in full."""

    __tablename__ = "cockpit_rollup_dirty"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


_OPTIONAL = (
    "counter_open_s", "busy_s", "appointments_booked", "appointments_kept", "bundles_finished",
    "bundle_transactions", "forms_saved", "fields_saved", "pins_saved", "authorisations_saved",
    "ratings_n", "ratings_sum", "ratings_top", "survey_n", "survey_sum", "survey_top",
    "guided", "diverted", "taught", "wait_avoided_s", "diverted_self_service", "diverted_mobile",
    "diverted_online", "diverted_other_outlet", "diverted_appointment",
)  # fmt: skip


class _Optional:
    """The measures an outlet may not have, summed (NULL: no outlet had it)."""

    __annotations__: dict[str, str] = {}


for _name in _OPTIONAL:
    setattr(_Optional, _name, mapped_column(_name, BigInteger, nullable=True))
    _Optional.__annotations__[_name] = "Mapped[int | None]"


class CockpitUnitDaily(_Sums, _Optional, Base):
    """A branch's (tier-2, tier-1) or the bank's day: the sums of its outlets' `cockpit_daily`
    rows of that day (NULL where no outlet had the measure), kept with them by the same pass in
    the same transaction, so a head-office page reads a few dozen rows a day, not 16,000."""

    __tablename__ = "cockpit_unit_daily"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    outlet_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    complaints: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CockpitOutletWindow(Base):
    """Each outlet's sums that targets judge over the default window (the 28 days to the last
    settled day, `first_day`…`last_day`): the outlets furthest from target on the default page
    read 16,000 short rows instead of 16,000 × 28."""

    __tablename__ = "cockpit_outlet_window"
    __table_args__ = (Index("ix_cockpit_outlet_window_path", "unit_path"),)

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An outlet moved inside the window has a row per path: the scope sums those it sees.
    unit_path: Mapped[str] = mapped_column(String(400), primary_key=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    wait_sum_s: Mapped[int] = mapped_column(BigInteger)
    wait_n: Mapped[int] = mapped_column(BigInteger)
    wait_within: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[int] = mapped_column(BigInteger)
    abandoned: Mapped[int] = mapped_column(BigInteger)  # no-shows and cancellations


class CockpitOutletMonthly(Base):
    """Each outlet's sums that targets judge over a calendar month (`month`: its first day):
    the outlets furthest from target over any other period add up whole months here and only
    the days at its two ends from `cockpit_daily` (16,000 outlets × 12 months: some 200,000
    short rows, not 5 million days)."""

    __tablename__ = "cockpit_outlet_monthly"
    __table_args__ = (Index("ix_cockpit_outlet_monthly_month_path", "month", "unit_path"),)

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    # An outlet moved within the month has a row per path: the scope sums those it sees.
    unit_path: Mapped[str] = mapped_column(String(400), primary_key=True)
    wait_sum_s: Mapped[int] = mapped_column(BigInteger)
    wait_n: Mapped[int] = mapped_column(BigInteger)
    wait_within: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[int] = mapped_column(BigInteger)
    abandoned: Mapped[int] = mapped_column(BigInteger)  # no-shows and cancellations


class CockpitOutletRecent(Base):
    """Each outlet's last `rank` ≤ 8 days with customers up to the last settled day (looking
    back 32 days), newest first, with the sums alerts judge."""

    __tablename__ = "cockpit_outlet_recent"
    __table_args__ = (Index("ix_cockpit_outlet_recent_path", "unit_path", "rank"),)

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_path: Mapped[str] = mapped_column(String(400))
    day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)  # the settled day it was ranked up to
    wait_sum_s: Mapped[int] = mapped_column(BigInteger)
    wait_n: Mapped[int] = mapped_column(Integer)
    wait_within: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)


class CockpitImportedDaily(_Sums, Base):
    """An outlet's day from the bank's previous queue system (`manyi cockpit import-history`):
    the roll-up pass makes it the outlet's `cockpit_daily` row for a day without raw facts
    (raw facts win), so a recomputation never wipes nor double-counts it."""

    __tablename__ = "cockpit_imported_daily"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))  # the file's name
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
