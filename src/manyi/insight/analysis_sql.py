"""SQL pieces of complaint analysis: the case's local day of receipt on both engines, the
counted figures of a group of cases, and the units of a scope.

The local day is the day of receipt in the bank's reporting time zone (`MANYI_TIMEZONE`), the
zone the workbench's date filters use, so that a drill-down lists exactly the cases counted.
PostgreSQL computes it with `timezone(zone, received_at)`; SQLite, which has no time zones,
with a small Python function registered on the connection (`manyi_local_day`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, bindparam, case, cast, func, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from manyi.complaints.domain.model import Verdict
from manyi.complaints.tables import Complaint
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

_UPHELD = (Verdict.UPHELD.value, Verdict.PARTLY.value)


@dataclass(frozen=True, slots=True)
class Figures:
    """What is counted for a group of cases (see docs/complaints.md, "Analysis")."""

    count: int = 0
    upheld: int = 0  # verdict upheld or partly upheld
    with_verdict: int = 0  # decided with a verdict
    overdue: int = 0  # breached: overdue at some point (recorded once, never erased)
    disputed: int = 0  # reopened at least once

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.count + other.count,
            self.upheld + other.upheld,
            self.with_verdict + other.with_verdict,
            self.overdue + other.overdue,
            self.disputed + other.disputed,
        )


@dataclass(frozen=True, slots=True)
class UnitInfo:
    id: int
    parent_id: int | None
    code: str
    name_zh: str
    name_en: str
    level: str
    path: str
    customers_served: int

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


def figure_columns() -> tuple[Any, ...]:
    def counted(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (
        func.count(),
        counted(Complaint.verdict.in_(_UPHELD)),
        counted(Complaint.verdict.is_not(None)),
        counted(Complaint.breached.is_(True)),
        counted(Complaint.reopen_count > 0),
    )


def figures_of(row: Any, offset: int) -> Figures:
    return Figures(*row[offset : offset + 5])


def utc_bounds(start: dt.date, end: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of local midnight at `start` and after `end` (inclusive dates)."""
    first = dt.datetime.combine(start, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return first, after.astimezone(dt.UTC)


def received_within(
    scope_path: str, start: dt.date, end: dt.date, zone: dt.tzinfo
) -> list[ColumnElement[bool]]:
    first, after = utc_bounds(start, end, zone)
    scope = in_scope(Complaint.responsible_unit_path, scope_path) if scope_path != "/" else true()
    return [scope, Complaint.received_at >= first, Complaint.received_at < after]


def _sqlite_local_day(value: str | None, zone_name: str) -> str | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:  # SQLite keeps UTC times without their offset
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).date().isoformat()


def local_day(session: Session, zone_name: str) -> Any:
    """The SQL expression of a case's local day of receipt in `zone_name`."""
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.driver_connection
        assert raw is not None
        raw.create_function("manyi_local_day", 2, _sqlite_local_day, deterministic=True)
        return func.manyi_local_day(Complaint.received_at, zone_name)
    return cast(func.timezone(zone_name, Complaint.received_at), Date)


def day_of_receipt(
    session: Session, start: dt.date, end: dt.date, zone_name: str
) -> tuple[Any, Callable[[Any], dt.date]]:
    """A SQL expression that tells the local day of receipt of cases received start..end, and
    the function that turns its value into the date.

    On PostgreSQL it is `width_bucket(received_at, <the UTC instants of each local midnight>)`:
    a binary search per row, exact in any zone (DST included) and cheaper than converting
    every row with `timezone()` (4.6 s → 2.7 s for 725,000 rows on the loaded bench machine).
    """
    if session.get_bind().dialect.name == "sqlite":
        return local_day(session, zone_name), as_date
    zone = zoneinfo.ZoneInfo(zone_name)
    days = (end - start).days + 1
    bounds = [utc_bounds(start + dt.timedelta(days=k), end, zone)[0] for k in range(days + 1)]
    bounds[-1] = utc_bounds(start, end, zone)[1]
    thresholds = bindparam("day_bounds", bounds, type_=postgresql.ARRAY(DateTime(timezone=True)))
    expression = func.width_bucket(Complaint.received_at, thresholds)
    return expression, lambda index: start + dt.timedelta(days=int(index) - 1)


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def units_in_scope(session: Session, scope_path: str) -> list[UnitInfo]:
    statement = select(
        Unit.id,
        Unit.parent_id,
        Unit.code,
        Unit.name_zh,
        Unit.name_en,
        Unit.level,
        Unit.path,
        Unit.customers_served,
    )
    if scope_path != "/":
        statement = statement.where(in_scope(Unit.path, scope_path))
    return [UnitInfo(*row) for row in session.execute(statement)]


def received_days(
    session: Session, scope_path: str, zone: dt.tzinfo
) -> tuple[dt.date, dt.date] | None:
    """The first and last local day with a complaint in scope, or None when there is none."""
    statement = select(func.min(Complaint.received_at), func.max(Complaint.received_at))
    if scope_path != "/":
        statement = statement.where(in_scope(Complaint.responsible_unit_path, scope_path))
    first, last = session.execute(statement).one()
    if first is None or last is None:
        return None
    return _utc(first).astimezone(zone).date(), _utc(last).astimezone(zone).date()


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
