"""The analysis report from the roll-up (`insight.rollup`) where it gives the same figures as
the raw cases: a scope at a tier-1 branch or above, the league at the tier-1 level or above,
whole months (periods of months, quarters or years), a dimension the roll-up keeps. Months
the roll-up cannot vouch for now (`rollup.stale_months`: never counted, or a case or unit
changed since) are counted from the raw cases, month by month; when they are more than half
of the months wanted, `parts` returns None and the caller reads everything raw.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.insight import analysis, analysis_units, rollup
from manyi.insight.analysis import Dimension
from manyi.insight.analysis_rows import KeyRow, PeriodRow
from manyi.insight.analysis_sql import Figures, UnitInfo
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind, previous_range, shift, spans, totals
from manyi.insight.tables import ComplaintRollup as R
from manyi.org.scope import in_scope

_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
_LEVELS = (Level.TIER1, Level.HEAD)
_SCOPES = ("head_office", "tier1_branch")

Parts = tuple[list[PeriodRow], list[KeyRow], list[KeyRow]]


def _whole(first: dt.date, last: dt.date) -> bool:
    return first.day == 1 and last == rollup.month_end(rollup.month_of(last))


def eligible(
    scope_path: str, units: list[UnitInfo], kind: PeriodKind, level: Level, dimension: Dimension
) -> bool:
    """Whether the roll-up's grain gives this report's figures exactly (module docstring)."""
    if kind not in _KINDS or level not in _LEVELS:
        return False
    if dimension is not Dimension.UNIT and dimension not in rollup.DIMENSIONS:
        return False
    if scope_path == "/":
        return True
    root = next((u for u in units if u.path == scope_path), None)
    return root is not None and root.level in _SCOPES


def parts(
    session: Session,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    kind: PeriodKind,
    compare: Compare | None,
    level: Level,
    dimension: Dimension,
    zone: str,
    lang: str,
    units: list[UnitInfo],
) -> Parts | None:
    """The report's trend (against a year earlier), breakdown and league, or None when the
    roll-up cannot give them."""
    if not eligible(scope_path, units, kind, level, dimension):
        return None
    periods = spans(start, end, kind)
    compared = [shift(s, kind, Compare.YOY) for s in periods]
    before = previous_range(start, end, compare) if compare is not None else None
    ranges = [(s.first, s.last) for s in [*periods, *compared]] + [(start, end)]
    ranges += [before] if before is not None else []
    if not all(_whole(first, last) for first, last in ranges):
        return None
    months = {m for first, last in ranges for m in rollup.months_between(first, last)}
    stale = rollup.stale_months(session, zone, months)
    if len(stale) * 2 > len(months):
        return None
    keyed = None if dimension is Dimension.UNIT else analysis.key_function(session, dimension, lang)
    by_unit, by_key = _from_rollup(session, scope_path, months - stale, dimension, zone)
    for month in sorted(stale):
        last = rollup.month_end(month)
        by_unit[month] = analysis_units.by_responsible_unit(session, scope_path, month, last, zone)
        if keyed is not None:
            by_key[month] = analysis.grouped(
                session, scope_path, month, last, zone, dimension, keyed.key
            )
    counts = {m: sum(f.count for f in found.values()) for m, found in by_unit.items()}
    trend = [
        PeriodRow(s, n, c, p)
        for s, n, c, p in zip(
            periods, totals(counts, periods), compared, totals(counts, compared), strict=True
        )
    ]

    def over(found: dict[dt.date, dict[Any, Figures]], first: dt.date, last: dt.date) -> Any:
        return _added(found.get(m, {}) for m in rollup.months_between(first, last))

    league = analysis_units.unit_rows(
        over(by_unit, start, end),
        None if before is None else over(by_unit, *before),
        units,
        scope_path,
        level,
        lang,
    )
    if keyed is None:
        return trend, league, league
    breakdown = analysis.key_rows(
        over(by_key, start, end),
        None if before is None else over(by_key, *before),
        keyed,
        analysis.reach(session, scope_path, units),
    )
    return trend, breakdown, league


def _from_rollup(
    session: Session, scope_path: str, months: set[dt.date], dimension: Dimension, zone: str
) -> tuple[dict[dt.date, dict[Any, Figures]], dict[dt.date, dict[Any, Figures]]]:
    """The roll-up's figures per month: by grain unit (the totals) and by key of `dimension`."""
    by_unit: dict[dt.date, dict[Any, Figures]] = defaultdict(dict)
    by_key: dict[dt.date, dict[Any, Figures]] = defaultdict(dict)
    if not months:
        return by_unit, by_key
    statement = select(
        R.month,
        R.unit_id,
        R.dimension,
        R.key,
        R.count,
        R.upheld,
        R.with_verdict,
        R.overdue,
        R.disputed,
    ).where(
        R.zone == zone,
        R.month.in_(sorted(months)),
        R.dimension.in_([rollup.TOTAL, dimension.value]),
    )
    if scope_path != "/":
        statement = statement.where(in_scope(R.unit_path, scope_path))
    for month, unit_id, dim, key, *figures in session.execute(statement):
        if dim == rollup.TOTAL:
            by_unit[month][unit_id] = Figures(*figures)
        else:
            found = by_key[month]
            found[key] = found.get(key, Figures()) + Figures(*figures)
    for month in months:  # a month without a case has no rows: it counts zero
        by_unit.setdefault(month, {})
        by_key.setdefault(month, {})
    return by_unit, by_key


def _added(parts: Iterable[dict[Any, Figures]]) -> dict[Any, Figures]:
    found: dict[Any, Figures] = defaultdict(Figures)
    for part in parts:
        for key, figures in part.items():
            found[key] += figures
    return dict(found)
