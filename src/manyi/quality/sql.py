"""SQL pieces the reports and the roll-ups share: the `Aggregate` sums and local months.

`local_month` is the bank's calendar month of a UTC timestamp, in SQL on both engines:
PostgreSQL converts with `timezone(zone, ts)`; SQLite has no time zones, so the connection gets
a Python function (`manyi_local_month`) that does the same with zoneinfo. Both are exact in any
zone, summer time included.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlalchemy.orm import Session

from manyi.quality.domain import measures
from manyi.quality.tables import QualityResponse as R

SQLITE_MONTH_FN = "manyi_local_month"


def sums(c: Any = R) -> list[ColumnElement[Any]]:
    """The Aggregate's columns, in its field order, as SQL sums over the group (of the
    responses table, or of a subquery's columns `c` with csat, nps and ces)."""

    def total(expression: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(expression), 0)

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return total(case((condition, 1), else_=0))

    return [
        func.count(),
        func.count(c.csat),
        count_if(c.csat >= measures.CSAT_TOP),
        total(c.csat),
        total(c.csat * c.csat),
        func.count(c.nps),
        count_if(c.nps >= measures.NPS_PROMOTER),
        count_if(c.nps <= measures.NPS_DETRACTOR),
        func.count(c.ces),
        total(c.ces),
        total(c.ces * c.ces),
    ]


def local_month(session: Session, column: Any, tz: str) -> ColumnElement[str]:
    """ "YYYY-MM" of the timestamp `column` in the zone `tz`, as SQL."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    raw = conn.connection.dbapi_connection
    raw.create_function(SQLITE_MONTH_FN, 2, _month_of, deterministic=True)  # type: ignore[union-attr]
    return getattr(func, SQLITE_MONTH_FN)(column, tz)  # type: ignore[no-any-return]


def _month_of(value: str | None, tz: str) -> str | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zoneinfo.ZoneInfo(tz))
    return f"{local.year:04d}-{local.month:02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def month_start(month: str, tz: str) -> dt.datetime:
    """The first instant of the local month "YYYY-MM" in `tz`, in UTC."""
    local = dt.datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=zoneinfo.ZoneInfo(tz))
    return local.astimezone(dt.UTC)


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    return month_start(month, tz), month_start(next_month(month), tz)
