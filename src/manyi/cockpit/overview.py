"""One cockpit page's figures in one call (`overview`): the unit and its breadcrumb from the
viewer's own unit down, the headline, the league table of its children, the daily trend, the
outlets furthest from target and the alerts; and the hour-of-day profile (`hourly_profile`,
from `cockpit_hourly`). What the cockpit pages and their Excel export read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from manyi.cockpit import counter_queries, queries, teller_queries
from manyi.cockpit.build import day_bounds
from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.figures import SUMMED, Period, Totals
from manyi.cockpit.domain.targets import Targets
from manyi.cockpit.tables import CockpitHourly as Hourly
from manyi.errors import NotFound
from manyi.org.model import path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

HOURLY_SUMMED = tuple(name for name in SUMMED if hasattr(Hourly, name))


@dataclass(frozen=True, slots=True)
class Crumb:
    unit_id: int
    code: str
    name_zh: str
    name_en: str
    level: str


@dataclass(frozen=True)
class Overview:
    unit: Crumb
    crumbs: list[Crumb]  # from the viewer's own unit down to `unit`, both included
    period: Period
    goal: Targets
    sort: str
    descending: bool
    headline: Totals
    league: list[queries.Line]
    trend: list[tuple[dt.date, Totals]]
    furthest: list[queries.FromTarget]
    alerts: list[queries.Alert]
    tellers: list[teller_queries.TellerLine]  # an outlet's, below the roll-ups; else none
    counters: list[counter_queries.CounterLine]  # likewise


def _crumb(unit: Unit) -> Crumb:
    return Crumb(unit.id, unit.code, unit.name_zh, unit.name_en, unit.level)


def unit_by_code(session: Session, scope_path: str, code: str | None) -> int:
    """The id of the unit with this code inside the scope; the scope's own unit for none."""
    statement = select(Unit.id, Unit.path)
    found = session.execute(
        statement.where(Unit.code == code) if code else statement.where(Unit.path == scope_path)
    ).first()
    if found is None or not path_in_scope(scope_path, found.path):
        raise NotFound("there is no unit {code} in your data scope", code=code or scope_path)
    return int(found.id)


def breadcrumb(session: Session, scope_path: str, unit: Unit) -> list[Crumb]:
    """The units from the viewer's own unit (the scope's root) down to `unit`."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    rows = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [_crumb(rows[i]) for i in ids if i in rows and path_in_scope(scope_path, rows[i].path)]


def overview(
    session: Session,
    scope_path: str,
    unit_id: int,
    period: Period,
    goal: Targets,
    *,
    sort: str = "wait_mean_s",
    descending: bool = True,
    limit: int = 20,
    tz: str | None = None,
) -> Overview:
    """The page's figures; with `tz` (the bank's zone), an outlet's tellers and counters over
    the period's local days too."""
    unit = queries.unit_in_scope(session, scope_path, unit_id)
    if session.get_bind().dialect.name == "postgresql":
        # Short queries: compiling one (some 40 ms, for sums over 16,000 outlets' months) costs
        # more than it saves.
        session.execute(text("SET LOCAL jit = off"))
    tellers: list[teller_queries.TellerLine] = []
    counters: list[counter_queries.CounterLine] = []
    if tz is not None and unit.level == "outlet":
        since, until = day_bounds(period.first, tz)[0], day_bounds(period.last, tz)[1]
        tellers = teller_queries.tellers(session, scope_path, unit_id, since, until)
        counters = counter_queries.counters(session, scope_path, unit_id, period, tz)
    return Overview(
        unit=_crumb(unit),
        crumbs=breadcrumb(session, scope_path, unit),
        period=period,
        goal=goal,
        sort=sort,
        descending=descending,
        headline=queries.headline(session, scope_path, unit_id, period),
        league=queries.league(
            session, scope_path, unit_id, period, sort=sort, descending=descending
        ),
        trend=queries.trend(session, scope_path, unit_id, period),
        furthest=queries.furthest_from_target(session, scope_path, unit_id, period, goal, limit),
        alerts=queries.alerts(session, scope_path, unit_id, period.last, goal),
        tellers=tellers,
        counters=counters,
    )


def hourly_profile(
    session: Session, scope_path: str, unit_id: int, period: Period
) -> dict[int, Totals]:
    """{local hour of issue: the unit's sums in that hour over the period} (hours without
    customers are absent): when in the day customers come and wait."""
    unit = queries.unit_in_scope(session, scope_path, unit_id)
    outlets = select(Unit.id).where(in_scope(Unit.path, unit.path), Unit.level == "outlet")
    rows = session.execute(
        select(
            Hourly.hour,
            *[func.sum(getattr(Hourly, n)).label(n) for n in HOURLY_SUMMED],
            *[func.sum(getattr(Hourly, c)).label(c) for c in histogram.COLUMNS],
        )
        .where(Hourly.outlet_id.in_(outlets), Hourly.day >= period.first, Hourly.day <= period.last)
        .group_by(Hourly.hour)
        .order_by(Hourly.hour)
    ).all()
    return {
        int(row.hour): Totals(
            sums={n: int(getattr(row, n) or 0) for n in HOURLY_SUMMED},
            waits=[int(getattr(row, c) or 0) for c in histogram.COLUMNS],
        )
        for row in rows
    }
