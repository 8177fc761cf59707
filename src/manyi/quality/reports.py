"""Satisfaction reports: responses grouped by outlet, teller, service, channel or month.

The database adds up counts and sums per group (one GROUP BY, `Aggregate`'s columns); the
measures and their intervals are computed here from those sums, so the work grows with the
number of groups, not of responses. Months are calendar months in the bank's time zone: the
local month starts are turned into UTC instants and each row is bucketed by a CASE over them,
the same SQL on both engines and exact in any zone (summer time included).

Groups are listed in key order, never by score: small samples are marked, not ranked.

By outlet, by month and the total read the worker's roll-ups (`report_sql`, `rollups`) for
whole months and the raw rows only for what they do not cover yet; the result is exactly the
raw query's. By teller, service or channel always reads the raw rows (docs/quality.md, "Speed").
"""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.quality import report_sql as fast
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.domain.measures import Estimate
from manyi.quality.sql import sums
from manyi.quality.tables import QualityResponse as R

JSON_KEYS = ("key", "responses", "csat", "csat_ci95", "csat_mean", "nps", "nps_ci95", "ces_mean")
DIGITS = 4  # decimals of every number in the JSON


class By(enum.StrEnum):
    OUTLET = "outlet"
    TELLER = "teller"
    SERVICE = "service"
    CHANNEL = "channel"
    MONTH = "month"


@dataclass(frozen=True)
class ReportRow:
    key: str | None  # unit code, username, service code, channel or "YYYY-MM"
    aggregate: Aggregate

    def as_json(self) -> dict[str, Any]:
        """The `--json` object: exactly JSON_KEYS; null where a measure has no answers."""
        a = self.aggregate
        csat, csat_mean, nps, ces = a.csat(), a.csat_mean(), a.nps(), a.ces_mean()
        return {
            "key": self.key,
            "responses": a.responses,
            "csat": _value(csat),
            "csat_ci95": _interval(csat),
            "csat_mean": _value(csat_mean),
            "nps": _value(nps),
            "nps_ci95": _interval(nps),
            "ces_mean": _value(ces),
        }


def _value(estimate: Estimate | None) -> float | None:
    return None if estimate is None else round(estimate.value, DIGITS) + 0.0  # no -0.0


def _interval(estimate: Estimate | None) -> list[float] | None:
    if estimate is None or estimate.ci95 is None:
        return None
    return estimate.ci95.as_list(DIGITS)


def unit_path(session: Session, code: str) -> str | None:
    """The path of the unit with this code (for `--unit`), None when there is none."""
    found: str | None = session.scalar(select(Unit.path).where(Unit.code == code))
    return found


def local_day_start(day: dt.date, tz: str) -> dt.datetime:
    """Midnight of `day` in the zone `tz`, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0), zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


def _filters(
    tz: str, scope_path: str, start: dt.date | None, end: dt.date | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        in_scope(R.unit_path, scope_path) if scope_path != "/" else true()
    ]
    if start is not None:
        where.append(R.answered_at >= local_day_start(start, tz))
    if end is not None:
        where.append(R.answered_at < local_day_start(end + dt.timedelta(days=1), tz))
    return where


def total(
    session: Session,
    *,
    tz: str,
    scope_path: str = "/",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Aggregate:
    """The aggregate of every response in the subtree and period (one row of sums): what
    `measures.csat_change` and `nps_change` compare between two periods."""
    rolled = fast.grouped(session, None, tz=tz, scope_path=scope_path, start=start, end=end)
    if rolled is not None:
        return rolled[0][1] if rolled else Aggregate()
    row = session.execute(select(*sums()).where(*_filters(tz, scope_path, start, end))).one()
    return Aggregate(*map(int, row))


def report(
    session: Session,
    by: By,
    *,
    tz: str,
    scope_path: str = "/",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[ReportRow]:
    """Grouped aggregates of the responses in `scope_path`'s subtree, answered from `start` to
    `end` (local dates in `tz`, both inclusive)."""
    if by in (By.OUTLET, By.MONTH):
        rolled = fast.grouped(session, by.value, tz=tz, scope_path=scope_path, start=start, end=end)
        if rolled is not None:
            return sorted((ReportRow(k, a) for k, a in rolled), key=_order)
    where = _filters(tz, scope_path, start, end)
    if by is By.MONTH:
        return _by_month(session, where, tz)
    key: Any
    statement = select()
    if by is By.OUTLET:
        key = Unit.code
        statement = select(key, *sums()).join(Unit, Unit.id == R.outlet_id)
    elif by is By.TELLER:
        key = Staff.username
        statement = select(key, *sums()).outerjoin(Staff, Staff.id == R.teller_staff_id)
    else:
        key = R.service if by is By.SERVICE else R.channel
        statement = select(key, *sums())
    rows = session.execute(statement.where(*where).group_by(key)).all()
    found = [ReportRow(row[0], Aggregate(*map(int, row[1:]))) for row in rows]
    return sorted(found, key=_order)


def _order(row: ReportRow) -> tuple[bool, str]:
    return (row.key is None, row.key or "")


def month_starts(first: dt.datetime, last: dt.datetime, tz: str) -> list[tuple[str, dt.datetime]]:
    """("YYYY-MM", UTC start) of every local month from the one holding `first` to the one
    holding `last`, and the start of the month after."""
    zone = zoneinfo.ZoneInfo(tz)
    local_first, local_last = first.astimezone(zone), last.astimezone(zone)
    year, month = local_first.year, local_first.month
    starts: list[tuple[str, dt.datetime]] = []
    while (year, month) <= (local_last.year, local_last.month) or len(starts) == 0:
        starts.append(_month_start(year, month, zone))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    starts.append(_month_start(year, month, zone))
    return starts


def _month_start(year: int, month: int, zone: zoneinfo.ZoneInfo) -> tuple[str, dt.datetime]:
    return f"{year:04d}-{month:02d}", dt.datetime(year, month, 1, tzinfo=zone).astimezone(dt.UTC)


def _by_month(session: Session, where: Sequence[ColumnElement[bool]], tz: str) -> list[ReportRow]:
    first, last = session.execute(
        select(func.min(R.answered_at), func.max(R.answered_at)).where(*where)
    ).one()
    if first is None:
        return []
    # SQLite gives naive UTC strings back through min()/max(); make them aware.
    first, last = (_aware(first), _aware(last))
    starts = month_starts(first, last, tz)
    bucket = case(
        *((R.answered_at < upper, index) for index, (_, upper) in enumerate(starts[1:])),
        else_=len(starts) - 1,
    ).label("bucket")
    # Grouped outside a subquery: PostgreSQL would not match a CASE with bound parameters in
    # the select list to the same CASE in GROUP BY (each gets its own placeholders).
    sub = select(bucket, R.csat, R.nps, R.ces).where(*where).subquery()
    rows = session.execute(select(sub.c.bucket, *sums(sub.c)).group_by(sub.c.bucket)).all()
    found = [ReportRow(starts[int(row[0])][0], Aggregate(*map(int, row[1:]))) for row in rows]
    return sorted(found, key=lambda r: r.key or "")


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def by_child(
    session: Session,
    *,
    tz: str,
    scope_path: str = "/",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[ReportRow]:
    """Aggregates per unit directly below the scope's unit (head office: per tier-1 branch),
    keyed by that unit's code: the report by outlet (roll-ups), added up per child. An outlet
    counts under the child its current path lies in; a scope that is an outlet gives itself."""
    outlets = report(session, By.OUTLET, tz=tz, scope_path=scope_path, start=start, end=end)
    units = session.execute(select(Unit.code, Unit.path).where(in_scope(Unit.path, scope_path)))
    path_of = {code: path for code, path in units}
    code_of = {path: code for code, path in path_of.items()}
    found: dict[str | None, Aggregate] = {}
    for row in outlets:
        path = path_of.get(row.key or "", "")
        rest = path[len(scope_path) :].split("/", 1)[0] if path.startswith(scope_path) else ""
        child = code_of.get(f"{scope_path}{rest}/") if rest else row.key
        found[child] = found.get(child, Aggregate()) + row.aggregate
    return sorted((ReportRow(k, a) for k, a in found.items()), key=_order)
