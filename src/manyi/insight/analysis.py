"""Complaint analysis (issue 19): counts by period and by dimension within a data scope, with
the comparison periods, the roll-up along the organisation tree and the rates and shares.

One service for the analysis page, its Excel report, `manyi complaints stats` and
`bench/complaint_stats.py`. The rules (periods, comparisons, measures, roll-up) are pure, in
`insight.domain.periods` and `insight.domain.measures`; here are the queries:

- a **series** counts cases per local day of receipt in the range and its comparison spans
  (one grouped query), then sums the days into periods — a period with no case is zero;
- a **breakdown** counts cases per key (a category axis, the intake, the product, the
  prominent-issue category, or the responsible unit rolled up to a level) in the range, and
  the same over the comparison range when asked.
"""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import categories
from manyi.complaints.domain.taxonomy import Intake, top_level
from manyi.complaints.tables import Complaint
from manyi.insight import analysis_sql as sql
from manyi.insight.analysis_sql import Figures, UnitInfo
from manyi.insight.domain import measures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import (
    Compare,
    PeriodKind,
    Span,
    previous_range,
    shift,
    spans,
    totals,
)

UNCLASSIFIED = "unclassified"


class Dimension(enum.StrEnum):
    BUSINESS_TYPE = "business_type"
    CAUSE = "cause"
    CHANNEL = "channel"
    APPEAL = "appeal"
    INTAKE = "intake"
    PRODUCT = "product"
    CATEGORY = "category"  # the prominent-issue category (Complaint.issue_code)
    UNIT = "unit"


_AXES = {
    Dimension.BUSINESS_TYPE: (Complaint.business_code, "business"),
    Dimension.CAUSE: (Complaint.cause_code, "cause"),
    Dimension.CHANNEL: (Complaint.channel_code, "channel"),
    Dimension.APPEAL: (Complaint.appeal_code, "appeal"),
}


@dataclass(frozen=True, slots=True)
class PeriodRow:
    span: Span
    count: int
    compared: Span | None = None
    previous: int | None = None

    @property
    def change_pct(self) -> float | None:
        return None if self.previous is None else measures.change_pct(self.count, self.previous)


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: str
    name: str
    figures: Figures
    previous: Figures | None = None
    customers: int = 0  # customers served by the units counted (per-10k rates)
    outlets: int = 0  # outlets among them (per-outlet figures)
    unit_id: int | None = None  # the unit, for unit rows (drill-down)

    @property
    def count(self) -> int:
        return self.figures.count

    @property
    def change_pct(self) -> float | None:
        if self.previous is None:
            return None
        return measures.change_pct(self.figures.count, self.previous.count)

    @property
    def per_10k(self) -> float | None:
        return measures.per_10k(self.figures.count, self.customers)

    @property
    def per_outlet(self) -> float | None:
        return None if self.outlets == 0 else round(self.figures.count / self.outlets, 2)

    @property
    def upheld_share(self) -> float | None:
        return measures.share(self.figures.upheld, self.figures.with_verdict)

    @property
    def overdue_share(self) -> float | None:
        return measures.share(self.figures.overdue, self.figures.count)

    @property
    def disputed_share(self) -> float | None:
        return measures.share(self.figures.disputed, self.figures.count)


@dataclass(frozen=True, slots=True)
class Reach:
    """The scope's customers served and outlets (the rates of non-unit rows)."""

    customers: int
    outlets: int


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def units_in_scope(session: Session, scope_path: str) -> list[UnitInfo]:
    return sql.units_in_scope(session, scope_path)


def received_days(
    session: Session, scope_path: str, zone_name: str
) -> tuple[dt.date, dt.date] | None:
    return sql.received_days(session, scope_path, zone_of(zone_name))


def reach(session: Session, scope_path: str, units: list[UnitInfo] | None = None) -> Reach:
    if units is None:
        units = sql.units_in_scope(session, scope_path)
    return Reach(
        sum(u.customers_served for u in units), sum(1 for u in units if u.level == "outlet")
    )


def series(
    session: Session,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    kind: PeriodKind,
    zone_name: str,
    compare: Compare | None = None,
) -> list[PeriodRow]:
    """Every period of start..end with its count, and its comparison span's when asked."""
    periods = spans(start, end, kind)
    compared = [shift(s, kind, compare) for s in periods] if compare is not None else []
    first = min([start, *(s.first for s in compared)])
    days = _counts_by_day(session, scope_path, first, end, zone_name)
    counts = totals(days, periods)
    if compare is None:
        return [PeriodRow(s, n) for s, n in zip(periods, counts, strict=True)]
    before = totals(days, compared)
    return [
        PeriodRow(s, n, c, p) for s, n, c, p in zip(periods, counts, compared, before, strict=True)
    ]


def _counts_by_day(
    session: Session, scope_path: str, start: dt.date, end: dt.date, zone_name: str
) -> dict[dt.date, int]:
    day, to_date = sql.day_of_receipt(session, start, end, zone_name)
    statement = (
        select(day, sql.figure_columns()[0])
        .where(*sql.received_within(scope_path, start, end, zone_of(zone_name)))
        .group_by(day)
    )
    return {to_date(d): int(n) for d, n in session.execute(statement)}


def breakdown(
    session: Session,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    dimension: Dimension,
    zone_name: str,
    *,
    compare: Compare | None = None,
    level: Level | None = None,
    lang: str = "zh",
    units: list[UnitInfo] | None = None,
) -> list[KeyRow]:
    """Counts (and the shares' parts) per key of `dimension`, most first; with `compare`, also
    over the comparison range (keys found only there appear with a zero count). `units` are
    the scope's units when the caller has them already (`units_in_scope`)."""
    if units is None:
        units = sql.units_in_scope(session, scope_path)
    if dimension is Dimension.UNIT:
        return _by_unit(session, scope_path, start, end, zone_name, compare, level, lang, units)
    keyed = key_function(session, dimension, lang)
    current = _grouped(session, scope_path, start, end, zone_name, dimension, keyed.key)
    previous: dict[str, Figures] | None = None
    if compare is not None:
        before = previous_range(start, end, compare)
        previous = _grouped(session, scope_path, *before, zone_name, dimension, keyed.key)
    return key_rows(current, previous, keyed, reach(session, scope_path, units))


def key_rows(
    current: dict[str, Figures], previous: dict[str, Figures] | None, keyed: Keyed, scope: Reach
) -> list[KeyRow]:
    """The rows of a breakdown by key, most complaints first."""
    rows = [
        KeyRow(
            key,
            keyed.name(key),
            current.get(key, Figures()),
            None if previous is None else previous.get(key, Figures()),
            scope.customers,
            scope.outlets,
        )
        for key in set(current) | set(previous or {})
    ]
    return sorted(rows, key=lambda r: (-r.count, r.key))


@dataclass(frozen=True)
class Keyed:
    key: Callable[[Any], str]
    name: Callable[[str], str]


def key_function(session: Session, dimension: Dimension, lang: str) -> Keyed:
    unclassified = "未分类" if lang != "en" else "Unclassified"
    if dimension in _AXES:
        axis = _AXES[dimension][1]
        names = categories.names(session, lang)
        return Keyed(
            lambda v: top_level(v) if v else UNCLASSIFIED,
            lambda k: unclassified if k == UNCLASSIFIED else names.get((axis, k), k),
        )
    if dimension is Dimension.INTAKE:

        def intake_name(key: str) -> str:
            try:
                intake = Intake(key)
            except ValueError:
                return key
            return intake.name_en if lang == "en" else intake.name_zh

        return Keyed(lambda v: v or UNCLASSIFIED, intake_name)
    if dimension is Dimension.CATEGORY:
        from manyi.insight.issues import categories as issue_categories

        found = {
            c.code: (c.name_en if lang == "en" and c.name_en else c.name_zh)
            for c in issue_categories(session, active_only=False)
        }
        return Keyed(
            lambda v: v or UNCLASSIFIED,
            lambda k: unclassified if k == UNCLASSIFIED else found.get(k, k),
        )
    return Keyed(
        lambda v: (v or "").strip() or UNCLASSIFIED,
        lambda k: unclassified if k == UNCLASSIFIED else k,
    )


def column_of(dimension: Dimension) -> Any:
    if dimension in _AXES:
        return _AXES[dimension][0]
    return {
        Dimension.INTAKE: Complaint.intake,
        Dimension.PRODUCT: Complaint.product,
        Dimension.CATEGORY: Complaint.issue_code,
    }[dimension]


def _grouped(
    session: Session,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    zone_name: str,
    dimension: Dimension,
    key_of: Callable[[Any], str],
) -> dict[str, Figures]:
    column = column_of(dimension)
    statement = (
        select(column, *sql.figure_columns())
        .where(*sql.received_within(scope_path, start, end, zone_of(zone_name)))
        .group_by(column)
    )
    found: dict[str, Figures] = defaultdict(Figures)
    for row in session.execute(statement):
        found[key_of(row[0])] += sql.figures_of(row, 1)
    return dict(found)


def _by_unit(
    session: Session,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    zone_name: str,
    compare: Compare | None,
    level: Level | None,
    lang: str,
    units: list[UnitInfo],
) -> list[KeyRow]:
    current = _by_responsible_unit(session, scope_path, start, end, zone_name)
    previous: dict[int, Figures] | None = None
    if compare is not None:
        before = previous_range(start, end, compare)
        previous = _by_responsible_unit(session, scope_path, *before, zone_name)
    return unit_rows(current, previous, units, scope_path, level, lang)


def unit_rows(
    current: dict[int, Figures],
    previous: dict[int, Figures] | None,
    units: list[UnitInfo],
    scope_path: str,
    level: Level | None,
    lang: str,
) -> list[KeyRow]:
    """The league: figures per responsible unit rolled up to `level`, most complaints first."""
    group_of = _groups(units, scope_path, level)
    by_id = {u.id: u for u in units}
    customers: dict[int, int] = defaultdict(int)
    outlets: dict[int, int] = defaultdict(int)
    for unit in units:
        customers[group_of[unit.id]] += unit.customers_served
        outlets[group_of[unit.id]] += unit.level == "outlet"

    def grouped(figures: dict[int, Figures]) -> dict[int, Figures]:
        found: dict[int, Figures] = defaultdict(Figures)
        for unit_id, counted in figures.items():
            group = group_of.get(unit_id)
            if group is not None:  # a case in scope always has its unit in scope
                found[group] += counted
        return found

    now = grouped(current)
    before = None if previous is None else grouped(previous)
    rows = []
    for group_id in set(now) | set(before or {}):
        unit = by_id[group_id]
        rows.append(
            KeyRow(
                unit.code,
                unit.name(lang),
                now.get(group_id, Figures()),
                None if before is None else before.get(group_id, Figures()),
                customers[group_id],
                outlets[group_id],
                unit.id,
            )
        )
    return sorted(rows, key=lambda r: (-r.count, r.key))


def _groups(units: list[UnitInfo], scope_path: str, level: Level | None) -> dict[int, int]:
    """Each unit's group: itself (no level), else its ancestor at `level` within the scope."""
    if level is None:
        return {u.id: u.id for u in units}
    root = int(scope_path.strip("/").split("/")[-1]) if scope_path != "/" else None
    levels = {u.id: u.level for u in units}
    if root is not None and root in levels and measures.above(level, levels[root]):
        return {u.id: root for u in units}  # a level above the scope: the scope's own unit
    ordered = sorted(units, key=lambda u: len(u.path))
    return measures.rollup([(u.id, u.parent_id, u.level) for u in ordered], level)


def _by_responsible_unit(
    session: Session, scope_path: str, start: dt.date, end: dt.date, zone_name: str
) -> dict[int, Figures]:
    statement = (
        select(Complaint.responsible_unit_id, *sql.figure_columns())
        .where(*sql.received_within(scope_path, start, end, zone_of(zone_name)))
        .group_by(Complaint.responsible_unit_id)
    )
    return {row[0]: sql.figures_of(row, 1) for row in session.execute(statement)}
