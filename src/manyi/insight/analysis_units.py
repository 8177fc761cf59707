"""The league of complaint analysis: figures per responsible unit, rolled up along the
organisation tree to a level (`insight.domain.measures.rollup`), with the customers served and
outlets of each group."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints.tables import Complaint
from manyi.insight import analysis_sql as sql
from manyi.insight.analysis_rows import KeyRow
from manyi.insight.analysis_sql import Figures, UnitInfo
from manyi.insight.domain import measures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, previous_range


def by_unit(
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
    current = by_responsible_unit(session, scope_path, start, end, zone_name)
    previous: dict[int, Figures] | None = None
    if compare is not None:
        before = previous_range(start, end, compare)
        previous = by_responsible_unit(session, scope_path, *before, zone_name)
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

    def by_group(figures: dict[int, Figures]) -> dict[int, Figures]:
        found: dict[int, Figures] = defaultdict(Figures)
        for unit_id, counted in figures.items():
            group = group_of.get(unit_id)
            if group is not None:  # a case in scope always has its unit in scope
                found[group] += counted
        return found

    now = by_group(current)
    before = None if previous is None else by_group(previous)
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


def by_responsible_unit(
    session: Session, scope_path: str, start: dt.date, end: dt.date, zone_name: str
) -> dict[int, Figures]:
    statement = (
        select(Complaint.responsible_unit_id, *sql.figure_columns())
        .where(*sql.received_within(scope_path, start, end, zoneinfo.ZoneInfo(zone_name)))
        .group_by(Complaint.responsible_unit_id)
    )
    return {row[0]: sql.figures_of(row, 1) for row in session.execute(statement)}
