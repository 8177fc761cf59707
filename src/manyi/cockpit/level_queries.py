"""The read side of `summaries`: what `queries` reads from the roll-ups above the outlet when
they answer the question asked, the same figures as summing `cockpit_daily` but from a few
dozen rows a day (a branch, the bank) or one short row per outlet (the default window, the
recent days, each month). Each function returns None when its table does not answer, and
`queries` then sums `cockpit_daily` as before (the months answer any period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from manyi.cockpit.domain import histogram, targets
from manyi.cockpit.domain.figures import SUMMED, Period, Totals
from manyi.cockpit.summaries import RECENT_RANKS, WINDOW_DAYS, months, next_month
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.cockpit.tables import CockpitOutletMonthly as Monthly
from manyi.cockpit.tables import CockpitOutletRecent as Recent
from manyi.cockpit.tables import CockpitOutletWindow as Window
from manyi.cockpit.tables import CockpitRollupState as State
from manyi.cockpit.tables import CockpitUnitDaily as UnitDaily
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

KEPT_LEVELS = ("tier1_branch", "tier2_branch")


def has_rows(unit: Unit) -> bool:
    """Whether `cockpit_unit_daily` holds the unit's days: a tier-1 or tier-2 branch, or the
    root of the outlets' paths (the bank)."""
    return unit.level in KEPT_LEVELS or unit.path == f"/{unit.id}/"


def _sums() -> list[Any]:
    return [func.sum(getattr(UnitDaily, n)).label(n) for n in (*SUMMED, *histogram.COLUMNS)]


def totals_of(row: Any) -> Totals:
    """A row of summed columns (`SUMMED` and the histogram) as `Totals`."""
    mapping = row._mapping
    return Totals(
        sums={name: None if mapping[name] is None else int(mapping[name]) for name in SUMMED},
        waits=[int(mapping[c] or 0) for c in histogram.COLUMNS],
    )


def _in(period: Period) -> tuple[Any, Any]:
    return UnitDaily.day >= period.first, UnitDaily.day <= period.last


def unit_totals(session: Session, unit: Unit, period: Period) -> Totals | None:
    if not has_rows(unit):
        return None
    row = session.execute(select(*_sums()).where(UnitDaily.unit_id == unit.id, *_in(period)))
    return totals_of(row.one())


def children_totals(session: Session, children: list[Unit], period: Period) -> dict[int, Totals]:
    """{child id: its Totals} for the children that have level rows (and days in the period)."""
    kept = [c.id for c in children if has_rows(c)]
    if not kept:
        return {}
    rows = session.execute(
        select(UnitDaily.unit_id, *_sums())
        .where(UnitDaily.unit_id.in_(kept), *_in(period))
        .group_by(UnitDaily.unit_id)
    ).all()
    return {int(row.unit_id): totals_of(row) for row in rows}


def unit_trend(session: Session, unit: Unit, period: Period) -> list[tuple[dt.date, Totals]] | None:
    if not has_rows(unit):
        return None
    rows = session.execute(
        select(UnitDaily.day, func.sum(UnitDaily.outlet_days).label("n"), *_sums())
        .where(UnitDaily.unit_id == unit.id, *_in(period))
        .group_by(UnitDaily.day)
        .order_by(UnitDaily.day)
    ).all()
    return trend_of(rows)


def trend_of(rows: Any) -> list[tuple[dt.date, Totals]]:
    """Rows of (day, n: the outlet-days, the sums) as a trend: each day's `Totals`."""
    out = []
    for row in rows:
        totals = totals_of(row)
        totals.outlets = int(row.n)
        out.append((row.day, totals))
    return out


def _settled(session: Session) -> dt.date | None:
    return session.scalar(select(State.settled_day).where(State.id == 1))


def _sum(column: Any) -> Any:
    """A sum of integers in double precision: exact below 2**53 (a wait sum of 16,000 outlets
    over years is far below), and what the ranking divides as Python does. PostgreSQL sums
    bigints as numeric, and turning 16,000 outlets' numeric sums into doubles took two thirds
    of the query's time."""
    return func.sum(cast(column, Float))


def _window(session: Session, unit: Unit, period: Period) -> Any | None:
    """The default window's judged sums per outlet in the scope (None for another period)."""
    settled = _settled(session)
    if settled is None or period != Period(settled - dt.timedelta(days=WINDOW_DAYS - 1), settled):
        return None
    return (
        select(
            Window.outlet_id.label("o"), _sum(Window.wait_sum_s).label("w"),
            _sum(Window.wait_n).label("n"), _sum(Window.wait_within).label("within"),
            _sum(Window.issued).label("issued"), _sum(Window.abandoned).label("abandoned"),
        )
        .where(in_scope(Window.unit_path, unit.path))
        .group_by(Window.outlet_id)
        .subquery()
    )  # fmt: skip


def _pieces(period: Period) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]], list[Any]]:
    """(whole months to add, spans of days to add, spans of days to take away): the period as
    calendar months and the days at its ends. A month the period covers only in part is read
    as its days inside, or as the whole month less its days outside when those are fewer, so
    at most half a month of days is read at each end."""
    whole, added, taken = [], [], []
    for month in months(period.first, period.last):
        end = next_month(month) - dt.timedelta(days=1)
        low, high = max(month, period.first), min(end, period.last)
        inside = (high - low).days + 1
        if inside == (end - month).days + 1:
            whole.append(month)
        elif 2 * inside <= (end - month).days + 1:
            added.append((low, high))
        else:
            whole.append(month)
            if low > month:
                taken.append((month, low - dt.timedelta(days=1)))
            if high < end:
                taken.append((high + dt.timedelta(days=1), end))
    return whole, added, taken


def _by_months(unit: Unit, period: Period) -> Any:
    """Any period's judged sums per outlet in the scope, from `cockpit_outlet_monthly` and the
    days at the period's ends (equal to summing the outlets' `cockpit_daily` rows: integers)."""
    whole, added, taken = _pieces(period)
    parts: list[Any] = [
        select(Monthly.outlet_id.label("o"), Monthly.wait_sum_s.label("w"),
               Monthly.wait_n.label("n"), Monthly.wait_within.label("within"),
               Monthly.issued.label("issued"), Monthly.abandoned.label("abandoned"))
        .where(Monthly.month.in_(whole), in_scope(Monthly.unit_path, unit.path))
    ] if whole else []  # fmt: skip
    for spans, sign in ((added, 1), (taken, -1)):
        if spans:
            parts.append(
                select(Daily.outlet_id.label("o"), (sign * Daily.wait_sum_s).label("w"),
                       (sign * Daily.wait_n).label("n"), (sign * Daily.wait_within).label("within"),
                       (sign * Daily.issued).label("issued"),
                       (sign * (Daily.no_shows + Daily.cancellations)).label("abandoned"))
                .where(in_scope(Daily.unit_path, unit.path),
                       or_(*[and_(Daily.day >= a, Daily.day <= b) for a, b in spans]))
            )  # fmt: skip
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return (
        select(rows.c.o, _sum(rows.c.w).label("w"), _sum(rows.c.n).label("n"),
               _sum(rows.c.within).label("within"), _sum(rows.c.issued).label("issued"),
               _sum(rows.c.abandoned).label("abandoned"))
        .group_by(rows.c.o)
        .subquery()
    )  # fmt: skip


def furthest_figures(
    session: Session, unit: Unit, period: Period, goal: targets.Targets, top: int
) -> dict[int, targets.Figures] | None:
    """The judged figures of the `top` outlets furthest past target over the period (the
    database ranks them by the same distance as `targets.distance`): from the outlets' window
    for the default one, from their months and the days at the ends for any other; the caller
    ranks these few again by the domain rule."""
    summed = _window(session, unit, period)
    if summed is None:
        summed = _by_months(unit, period)
    none, c = literal(-1e18), summed.c
    gaps = [
        case((c.n > 0, (c.w / c.n - goal.wait_mean_s) / goal.wait_mean_s), else_=none),
        case((c.n > 0, (goal.service_level - c.within / c.n) / goal.service_level), else_=none),
        case((and_(c.issued > 0, literal(goal.abandonment > 0)),
              (c.abandoned / c.issued - goal.abandonment) / (goal.abandonment or 1)), else_=none),
    ]  # fmt: skip
    worst = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    distance = worst(*gaps).label("distance")
    ranked = select(summed, distance).subquery()
    rows = session.execute(
        select(ranked.c.o, ranked.c.w, ranked.c.n, ranked.c.within, ranked.c.issued,
               ranked.c.abandoned)
        .where(ranked.c.distance > 0)
        .order_by(ranked.c.distance.desc(), ranked.c.o)
        .limit(top)
    ).all()  # fmt: skip
    found = {}
    for row in rows:
        o, w, n, within, issued, abandoned = (int(v or 0) for v in row)
        found[o] = targets.Figures(
            w / n if n else None, within / n if n else None, abandoned / issued if issued else None
        )
    return found


def past_target(
    goal: targets.Targets, wait_sum_s: Any, wait_n: Any, within: Any, abandoned: Any, issued: Any
) -> Any:
    """A day past target, in SQL over its sums: the rule of `domain.targets` (a mean wait or a
    service level past target, or more abandoned visits than the target allows)."""
    return or_(
        and_(
            wait_n > 0,
            or_(wait_sum_s > goal.wait_mean_s * wait_n, within < goal.service_level * wait_n),
        ),
        and_(literal(goal.abandonment > 0), abandoned > goal.abandonment * issued),
    )


def recent_days(
    session: Session, unit: Unit, last_day: dt.date, goal: targets.Targets
) -> dict[int, dict[dt.date, targets.Figures]] | None:
    """The days of the outlets whose last `goal.alert_days` days with customers (looking back
    4 × as many days, within the scope) are all past target, when `last_day` is the last
    settled day; the alert rule then decides on them as before."""
    n = goal.alert_days
    if n > RECENT_RANKS or _settled(session) != last_day:
        return None
    since = last_day - dt.timedelta(days=4 * n)
    past = past_target(
        goal, Recent.wait_sum_s, Recent.wait_n, Recent.wait_within, Recent.abandoned, Recent.issued
    )
    chosen = (in_scope(Recent.unit_path, unit.path), Recent.rank <= n, Recent.day > since)
    candidates = (
        select(Recent.outlet_id)
        .where(*chosen)
        .group_by(Recent.outlet_id)
        .having(func.count() == n, func.sum(case((past, 1), else_=0)) == n)
    )
    rows = session.connection().execute(  # Core rows: head office reads a few thousand
        select(Recent.outlet_id, Recent.day, Recent.wait_sum_s, Recent.wait_n,
               Recent.wait_within, Recent.issued, Recent.abandoned)
        .where(*chosen, Recent.outlet_id.in_(candidates))
    ).all()  # fmt: skip
    days: dict[int, dict[dt.date, targets.Figures]] = defaultdict(dict)
    for o, day, w, wn, within, issued, abandoned in rows:
        days[int(o)][day] = targets.Figures(
            w / wn if wn else None, within / wn if wn else None, abandoned / issued
        )
    return days
