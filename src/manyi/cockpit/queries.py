"""What the cockpit pages read: for a unit within the staff member's data scope and a period
of local days, the headline figures, the league table of its children, the daily trend, the
outlets furthest from target and the alerts. All of it from `cockpit_daily` (sums in SQL, the
ratios and percentiles here), never from the raw event tables: a head-office page over 16,000
outlets adds up roll-up rows. An outlet's tellers (`teller_queries`) are the one level
below the roll-ups: they are read from that outlet's own tickets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, bindparam, case, func, select
from sqlalchemy.orm import Session

from manyi.cockpit import level_queries
from manyi.cockpit.domain import histogram, levels, targets
from manyi.cockpit.domain.figures import SORTABLE, SUMMED, Period, Totals
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.errors import InvalidInput, NotFound
from manyi.org.model import path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

GROUP_BY: dict[str, Any] = {
    "tier1_branch": Daily.tier1_id,
    "tier2_branch": Daily.tier2_id,
    "outlet": Daily.outlet_id,
}


def _sum_columns() -> list[Any]:
    columns = [func.sum(getattr(Daily, name)).label(name) for name in SUMMED]
    return columns + [func.sum(getattr(Daily, c)).label(c) for c in histogram.COLUMNS]


def unit_in_scope(session: Session, scope_path: str, unit_id: int) -> Unit:
    """The unit, when it is inside the scope; NotFound otherwise (as if it did not exist)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not path_in_scope(scope_path, unit.path):
        raise NotFound("there is no unit {id} in your data scope", id=str(unit_id))
    return unit


def _where(unit: Unit, period: Period) -> list[Any]:
    return [
        in_scope(Daily.unit_path, unit.path),
        Daily.day >= period.first,
        Daily.day <= period.last,
    ]


def _outlets_under(session: Session, unit: Unit) -> int:
    if unit.level == "outlet":
        return 1
    counted = select(func.count()).where(
        in_scope(Unit.path, unit.path), Unit.level == "outlet", Unit.active.is_(True)
    )
    return int(session.scalar(counted) or 0)


def headline(session: Session, scope_path: str, unit_id: int, period: Period) -> Totals:
    """The unit's figures over the period (average wait, complaints per outlet, satisfaction,
    counter-bundle savings and the rest: `Totals`' properties)."""
    unit = unit_in_scope(session, scope_path, unit_id)
    totals = level_queries.unit_totals(session, unit, period) or level_queries.totals_of(
        session.execute(select(*_sum_columns()).where(*_where(unit, period))).one()
    )
    totals.outlets = _outlets_under(session, unit)
    return totals


def by_outlet(session: Session, unit: Unit, period: Period) -> dict[int, Totals]:
    rows = session.execute(
        select(Daily.outlet_id, *_sum_columns())
        .where(*_where(unit, period))
        .group_by(Daily.outlet_id)
    ).all()
    found = {}
    for row in rows:
        totals = level_queries.totals_of(row)
        totals.outlets = 1
        found[int(row.outlet_id)] = totals
    return found


@dataclass(frozen=True, slots=True)
class Line:
    unit_id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    totals: Totals


def _units(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    """{id: (id, code, name_zh, name_en)}: the columns only (head office may have a thousand
    outlets alerting: no ORM objects, and on PostgreSQL one array parameter, not a thousand)."""
    wanted = sorted(ids)
    names = select(Unit.id, Unit.code, Unit.name_zh, Unit.name_en)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        one = bindparam("ids", wanted, type_=ARRAY(Integer))
        return {int(row.id): row for row in connection.execute(names.where(Unit.id == any_(one)))}
    return {
        int(row.id): row
        for start in range(0, len(wanted), 5000)
        for row in connection.execute(names.where(Unit.id.in_(wanted[start : start + 5000])))
    }


def league(
    session: Session,
    scope_path: str,
    unit_id: int,
    period: Period,
    *,
    sort: str = "wait_mean_s",
    descending: bool = True,
) -> list[Line]:
    """The unit's children (one level below; an outlet's: none, see `tellers`) with their
    figures, sorted by `sort` (one of SORTABLE; units without the measure last). The sums are
    grouped in SQL by the rows' tier columns, so head office adds up 16,000 outlets' days into
    a few dozen rows in the database."""
    if sort not in SORTABLE:
        raise InvalidInput("the league table cannot be sorted by {sort}", sort=sort)
    unit = unit_in_scope(session, scope_path, unit_id)
    if levels.child_level(unit.level) is None:
        return []
    children = list(
        session.scalars(select(Unit).where(Unit.parent_id == unit.id, Unit.active.is_(True)))
    )
    grouped: dict[int, Totals] = {c.id: Totals() for c in children}
    kept = level_queries.children_totals(session, children, period)
    grouped.update(kept)
    for level in {c.level for c in children if not level_queries.has_rows(c)}:
        key = GROUP_BY.get(level)
        if key is None:
            continue
        rows = session.execute(
            select(key.label("child"), *_sum_columns()).where(*_where(unit, period)).group_by(key)
        ).all()
        for row in rows:
            if row.child is not None and int(row.child) in grouped:
                grouped[int(row.child)] = level_queries.totals_of(row)
    _count_outlets(session, unit, children, grouped)
    lines = [Line(c.id, c.code, c.name_zh, c.name_en, c.level, grouped[c.id]) for c in children]
    present = [line for line in lines if getattr(line.totals, sort) is not None]
    absent = [line for line in lines if getattr(line.totals, sort) is None]
    present.sort(key=lambda line: (getattr(line.totals, sort), line.code), reverse=descending)
    return present + sorted(absent, key=lambda line: line.code)


def _count_outlets(
    session: Session, unit: Unit, children: list[Unit], grouped: dict[int, Totals]
) -> None:
    """Each child's active outlets: counted per parent in SQL, carried up the few branches."""
    for child in children:
        if child.level == "outlet":
            grouped[child.id].outlets = 1
    inside = (in_scope(Unit.path, unit.path), Unit.active.is_(True))
    counts = session.execute(
        select(Unit.parent_id, func.count()).where(*inside, Unit.level == "outlet")
        .group_by(Unit.parent_id)
    ).all()  # fmt: skip
    parents = dict(
        session.execute(
            select(Unit.id, Unit.parent_id).where(
                in_scope(Unit.path, unit.path), Unit.level != "outlet"
            )
        ).all()
    )
    for parent, n in counts:
        node = parent
        while node is not None and node not in grouped and node != unit.id:
            node = parents.get(node)
        if node in grouped:
            grouped[node].outlets += int(n)


def trend(
    session: Session, scope_path: str, unit_id: int, period: Period
) -> list[tuple[dt.date, Totals]]:
    """The unit's figures day by day (days without any roll-up row are left out)."""
    unit = unit_in_scope(session, scope_path, unit_id)
    kept = level_queries.unit_trend(session, unit, period)
    if kept is not None:
        return kept
    rows = session.execute(
        select(Daily.day, func.count().label("n"), *_sum_columns())
        .where(*_where(unit, period))
        .group_by(Daily.day)
        .order_by(Daily.day)
    ).all()
    return level_queries.trend_of(rows)


@dataclass(frozen=True, slots=True)
class FromTarget:
    outlet_id: int
    code: str
    name_zh: str
    name_en: str
    distance: float
    worst: str
    totals: Totals


def _figures_by_outlet(session: Session, unit: Unit, period: Period) -> dict[int, targets.Figures]:
    """Each outlet's measures that targets judge, from six sums (a narrow query: head office
    reads 16,000 short rows, not the whole `Totals`)."""
    rows = session.execute(
        select(
            Daily.outlet_id,
            func.sum(Daily.wait_sum_s),
            func.sum(Daily.wait_n),
            func.sum(Daily.wait_within),
            func.sum(Daily.issued),
            func.sum(Daily.no_shows + Daily.cancellations),
        )
        .where(*_where(unit, period))
        .group_by(Daily.outlet_id)
    ).all()
    found = {}
    for row in rows:  # sums of big integers are Decimal on PostgreSQL: ints here
        o, w, n, within, issued, abandoned = (int(v or 0) for v in row)
        found[o] = targets.Figures(
            w / n if n else None, within / n if n else None, abandoned / issued if issued else None
        )
    return found


def furthest_from_target(
    session: Session,
    scope_path: str,
    unit_id: int,
    period: Period,
    goal: targets.Targets,
    limit: int = 20,
) -> list[FromTarget]:
    """The outlets under the unit furthest past target over the period, worst first (only
    those past target)."""
    unit = unit_in_scope(session, scope_path, unit_id)
    scored = []
    # Fast: the database's top candidates (a margin over `limit` against rounding).
    judged = level_queries.furthest_figures(session, unit, period, goal, 2 * limit + 10)
    if judged is None:
        judged = _figures_by_outlet(session, unit, period)
    for outlet_id, figures in judged.items():
        gap = targets.distance(figures, goal)
        if gap is not None and gap > 0:
            scored.append((gap, outlet_id, figures))
    scored.sort(key=lambda s: (-s[0], s[1]))
    top = scored[:limit]
    names = _units(session, (o for _, o, _ in top))
    totals: dict[int, Totals] = {}
    if top:
        for row in session.execute(
            select(Daily.outlet_id, *_sum_columns())
            .where(*_where(unit, period), Daily.outlet_id.in_([o for _, o, _ in top]))
            .group_by(Daily.outlet_id)
        ).all():
            totals[int(row.outlet_id)] = level_queries.totals_of(row)
    return [
        FromTarget(o, names[o].code, names[o].name_zh, names[o].name_en, gap,
                   targets.worst_measure(f, goal) or "", totals.get(o, Totals()))
        for gap, o, f in top
        if o in names
    ]  # fmt: skip


def _ranked_days(
    session: Session, unit: Unit, last_day: dt.date, goal: targets.Targets
) -> dict[int, dict[dt.date, targets.Figures]]:
    since = last_day - dt.timedelta(days=4 * goal.alert_days)
    n = goal.alert_days
    past = level_queries.past_target(
        goal, Daily.wait_sum_s, Daily.wait_n, Daily.wait_within,
        Daily.no_shows + Daily.cancellations, Daily.issued,
    )  # fmt: skip
    ranked = (
        select(
            Daily.outlet_id, Daily.day, Daily.wait_sum_s, Daily.wait_n, Daily.wait_within,
            Daily.issued, Daily.no_shows, Daily.cancellations,
            case((past, 1), else_=0).label("past"),
            func.row_number()
            .over(partition_by=Daily.outlet_id, order_by=Daily.day.desc())
            .label("rank"),
        )
        .where(in_scope(Daily.unit_path, unit.path), Daily.day > since, Daily.day <= last_day,
               Daily.issued > 0)
        .cte("ranked")
    )  # fmt: skip
    candidates = (
        select(ranked.c.outlet_id)
        .where(ranked.c.rank <= n)
        .group_by(ranked.c.outlet_id)
        .having(func.count() == n, func.sum(ranked.c.past) == n)
    )
    rows = session.execute(
        select(ranked).where(ranked.c.rank <= n, ranked.c.outlet_id.in_(candidates))
    ).all()
    days: dict[int, dict[dt.date, targets.Figures]] = defaultdict(dict)
    for row in rows:
        days[int(row.outlet_id)][row.day] = targets.Figures(
            row.wait_sum_s / row.wait_n if row.wait_n else None,
            row.wait_within / row.wait_n if row.wait_n else None,
            (row.no_shows + row.cancellations) / row.issued,
        )
    return days


@dataclass(frozen=True, slots=True)
class Alert:
    outlet_id: int
    code: str
    name_zh: str
    name_en: str
    days: tuple[dt.date, ...]


def alerts(
    session: Session, scope_path: str, unit_id: int, last_day: dt.date, goal: targets.Targets
) -> list[Alert]:
    """The outlets under the unit past target on each of their last `goal.alert_days` days
    with customers up to `last_day` (looking back at most four times as many days).

    The database ranks each outlet's days and keeps the outlets whose last N days are all past
    target (the rule of `domain.targets`, written in SQL so that head office reads only the
    outlets alerting); the rule itself then decides on those outlets' days."""
    unit = unit_in_scope(session, scope_path, unit_id)
    days = level_queries.recent_days(session, unit, last_day, goal)
    if days is None:
        days = _ranked_days(session, unit, last_day, goal)
    raised = {o: run for o, d in days.items() if (run := targets.alerting(d, goal, last_day))}
    names = _units(session, raised)
    return [
        Alert(o, names[o].code, names[o].name_zh, names[o].name_en, tuple(raised[o]))
        for o in sorted(raised, key=lambda o: names[o].code)
    ]


def targets_of(settings: Any) -> targets.Targets:
    """The targets from the settings (`cockpit_target_*`, `cockpit_alert_days`)."""
    return targets.Targets(
        wait_mean_s=float(settings.cockpit_target_wait_s),
        service_level=float(settings.cockpit_target_service_level),
        service_level_s=int(settings.cockpit_service_level_s),
        abandonment=float(settings.cockpit_target_abandonment),
        alert_days=int(settings.cockpit_alert_days),
    )


__all__ = [
    "Alert", "FromTarget", "Line", "Period", "Totals", "alerts", "by_outlet",
    "furthest_from_target", "headline", "league", "targets_of", "trend", "unit_in_scope",
]  # fmt: skip
