"""The roll-ups above the outlet, kept by the roll-up pass in the same transaction as the
outlet rows they sum (docs/cockpit.md, "Levels"):

- `cockpit_unit_daily`: each tier-2 branch's, tier-1 branch's and the bank's (the root of the
  outlets' paths) day, the sums of its outlets' `cockpit_daily` rows: a head-office page
  reads some 36 tier-1 rows a day instead of 16,000 outlets';
- `cockpit_outlet_window`: each outlet's sums that targets judge over the default window,
  the `WINDOW_DAYS` days to the last settled day (the outlets furthest from target);
- `cockpit_outlet_recent`: each outlet's last `RECENT_RANKS` days with customers up to the last
  settled day, looking back `RECENT_LOOKBACK` days (alerts);
- `cockpit_outlet_monthly`: each outlet's sums that targets judge over each calendar month (the
  outlets furthest from target over any other period).

Every function here recomputes rows from `cockpit_daily` (delete, then INSERT … SELECT), so
the tables are a function of the outlet rows: a recomputation from nothing gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.figures import SUMMED
from manyi.cockpit.tables import CockpitDaily as Daily
from manyi.cockpit.tables import CockpitOutletMonthly as Monthly
from manyi.cockpit.tables import CockpitOutletRecent as Recent
from manyi.cockpit.tables import CockpitOutletWindow as Window
from manyi.cockpit.tables import CockpitUnitDaily as UnitDaily
from manyi.org.scope import in_scope

NO_SYNC = {"synchronize_session": False}
WINDOW_DAYS = 28  # the pages' default period: the 28 days to yesterday
RECENT_RANKS = 8  # alerts over at most 8 days in a row read `cockpit_outlet_recent`
RECENT_LOOKBACK = 4 * RECENT_RANKS  # as the alert rule looks back (4 × its days)
SUMS = (*SUMMED, *histogram.COLUMNS)
UNITS = cast(Table, UnitDaily.__table__)


def _summed() -> list[Any]:
    return [func.sum(getattr(Daily, name)) for name in SUMS]


Ancestors = tuple[set[int], set[int], set[str]]


def ancestors(
    session: Session, outlets: Collection[int], first: dt.date, last: dt.date
) -> Ancestors:
    """(tier-1 ids, tier-2 ids, root paths) the outlets' rows of these days count under."""
    tier1: set[int] = set()
    tier2: set[int] = set()
    roots: set[str] = set()
    ids = sorted(outlets)
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(Daily.tier1_id, Daily.tier2_id, Daily.unit_path)
            .where(Daily.outlet_id.in_(ids[start : start + 1000]))
            .where(Daily.day >= first, Daily.day <= last)
            .distinct()
        ).all()
        for t1, t2, path in rows:
            tier1 |= {int(t1)} if t1 is not None else set()
            tier2 |= {int(t2)} if t2 is not None else set()
            parts = (path or "").strip("/").split("/")
            if len(parts) > 1:  # an outlet at the root has no bank above it
                roots.add(f"/{parts[0]}/")
    return tier1, tier2, roots


def refresh_units(
    session: Session,
    first: dt.date,
    last: dt.date,
    tier1: Collection[int],
    tier2: Collection[int],
    roots: Collection[str],
) -> None:
    """Recompute the `cockpit_unit_daily` rows of these branches and banks on first…last."""
    in_days = (Daily.day >= first, Daily.day <= last)
    root_ids = {int(p.strip("/")) for p in roots}
    units = sorted(set(tier1) | set(tier2) | root_ids)
    if not units:
        return
    session.execute(
        delete(UnitDaily).where(
            UnitDaily.unit_id.in_(units), UnitDaily.day >= first, UnitDaily.day <= last
        ),
        execution_options=NO_SYNC,
    )
    names = ["unit_id", "day", "outlet_days", *SUMS]
    for column, ids in ((Daily.tier1_id, tier1), (Daily.tier2_id, tier2)):
        if ids:
            summed = (
                select(column, Daily.day, func.count(), *_summed())
                .where(column.in_(sorted(ids)), *in_days)
                .group_by(column, Daily.day)
            )
            session.execute(insert(UNITS).from_select(names, summed))
    for path in sorted(roots):
        summed = (
            select(literal(int(path.strip("/"))), Daily.day, func.count(), *_summed())
            .where(in_scope(Daily.unit_path, path), *in_days)
            .group_by(Daily.day)
        )
        session.execute(insert(UNITS).from_select(names, summed))


def refresh_recent(
    session: Session, settled: dt.date | None, outlets: Collection[int] | None = None
) -> None:
    """Recompute the window and recent rows (of these outlets; of all for None) up to the
    last settled day (none before a first day was settled)."""
    for table in (Window, Recent):
        stale = delete(table)
        if outlets is not None:
            stale = stale.where(table.outlet_id.in_(sorted(outlets)))
        session.execute(stale, execution_options=NO_SYNC)
    if settled is None or (outlets is not None and not outlets):
        return
    chosen = [] if outlets is None else [Daily.outlet_id.in_(sorted(outlets))]
    first = settled - dt.timedelta(days=WINDOW_DAYS - 1)
    window = (
        select(
            Daily.outlet_id, Daily.unit_path, literal(first), literal(settled),
            func.sum(Daily.wait_sum_s), func.sum(Daily.wait_n), func.sum(Daily.wait_within),
            func.sum(Daily.issued), func.sum(Daily.no_shows + Daily.cancellations),
        )
        .where(Daily.day >= first, Daily.day <= settled, *chosen)
        .group_by(Daily.outlet_id, Daily.unit_path)
    )  # fmt: skip
    session.execute(
        insert(cast(Table, Window.__table__)).from_select(
            ["outlet_id", "unit_path", "first_day", "last_day", "wait_sum_s", "wait_n",
             "wait_within", "issued", "abandoned"],
            window,
        )
    )  # fmt: skip
    ranked = (
        select(
            Daily.outlet_id,
            func.row_number()
            .over(partition_by=Daily.outlet_id, order_by=Daily.day.desc())
            .label("rank"),
            Daily.unit_path, Daily.day, literal(settled).label("last_day"), Daily.wait_sum_s,
            Daily.wait_n, Daily.wait_within, Daily.issued,
            (Daily.no_shows + Daily.cancellations).label("abandoned"),
        )
        .where(
            Daily.day > settled - dt.timedelta(days=RECENT_LOOKBACK), Daily.day <= settled,
            Daily.issued > 0, *chosen,
        )
        .subquery()
    )  # fmt: skip
    columns = ["outlet_id", "rank", "unit_path", "day", "last_day", "wait_sum_s", "wait_n",
               "wait_within", "issued", "abandoned"]  # fmt: skip
    session.execute(
        insert(cast(Table, Recent.__table__)).from_select(
            columns,
            select(*[ranked.c[c] for c in columns]).where(ranked.c.rank <= RECENT_RANKS),
        )
    )


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the calendar months that days first…last touch."""
    found, month = [], month_of(first)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def refresh_months(
    session: Session, first: dt.date, last: dt.date, outlets: Collection[int] | None = None
) -> None:
    """Recompute the `cockpit_outlet_monthly` rows (of these outlets; of all for None) of every
    month that days first…last touch, each from its whole month of `cockpit_daily` (one
    statement per month: no date function differing between the engines)."""
    chosen = [] if outlets is None else [Daily.outlet_id.in_(sorted(outlets))]
    if outlets is not None and not outlets:
        return
    touched = months(first, last)
    stale = delete(Monthly).where(Monthly.month.in_(touched))
    if outlets is not None:
        stale = stale.where(Monthly.outlet_id.in_(sorted(outlets)))
    session.execute(stale, execution_options=NO_SYNC)
    columns = ["outlet_id", "month", "unit_path", "wait_sum_s", "wait_n", "wait_within",
               "issued", "abandoned"]  # fmt: skip
    for month in touched:
        summed = (
            select(
                Daily.outlet_id, literal(month), Daily.unit_path, func.sum(Daily.wait_sum_s),
                func.sum(Daily.wait_n), func.sum(Daily.wait_within), func.sum(Daily.issued),
                func.sum(Daily.no_shows + Daily.cancellations),
            )
            .where(Daily.day >= month, Daily.day < next_month(month), *chosen)
            .group_by(Daily.outlet_id, Daily.unit_path)
        )  # fmt: skip
        session.execute(insert(cast(Table, Monthly.__table__)).from_select(columns, summed))


def touches_recent(settled: dt.date | None, first: dt.date, last: dt.date) -> bool:
    """Whether days first…last count in the window or the recent days of `settled`."""
    if settled is None:
        return False
    low = settled - dt.timedelta(days=max(WINDOW_DAYS, RECENT_LOOKBACK) - 1)
    return first <= settled and last >= low


def keep(
    session: Session,
    outlets: list[int],
    first: dt.date,
    last: dt.date,
    old: Ancestors,
    settled: dt.date | None,
) -> None:
    """After the outlets' rows of first…last were replaced: recompute the levels they counted
    under before (`old`, from `ancestors` before the delete) and now, their months and their
    recent rows."""
    new = ancestors(session, outlets, first, last)
    refresh_units(session, first, last, old[0] | new[0], old[1] | new[1], old[2] | new[2])
    refresh_months(session, first, last, outlets)
    if touches_recent(settled, first, last):
        refresh_recent(session, settled, outlets)


def rebuild(session: Session, settled: dt.date | None) -> None:
    """Every row of the four tables from `cockpit_daily` (a check, and the benchmark's load)."""
    for table in (UnitDaily, Monthly):
        session.execute(delete(table), execution_options=NO_SYNC)
    span = session.execute(select(func.min(Daily.day), func.max(Daily.day))).one()
    if span[0] is not None:
        refresh_months(session, span[0], span[1])
        tier1, tier2, roots = set(), set(), set()
        for t1, t2, path in session.execute(
            select(Daily.tier1_id, Daily.tier2_id, Daily.unit_path).distinct()
        ).all():
            tier1 |= {int(t1)} if t1 is not None else set()
            tier2 |= {int(t2)} if t2 is not None else set()
            parts = (path or "").strip("/").split("/")
            if len(parts) > 1:
                roots.add(f"/{parts[0]}/")
        refresh_units(session, span[0], span[1], tier1, tier2, roots)
    refresh_recent(session, settled)


__all__ = ["RECENT_RANKS", "WINDOW_DAYS", "ancestors", "keep", "month_of", "months",
           "next_month", "rebuild", "refresh_months", "refresh_recent", "refresh_units",
           "touches_recent"]  # fmt: skip
