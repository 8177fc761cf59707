"""What the workload pages show: an outlet's tellers on a day with the fairness figure and each
teller's 30-day trend (`/workload`), and one teller's own days (`/workload/me`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from manyi.errors import NotFound
from manyi.org.tables import Unit
from manyi.workload import figures, queries
from manyi.workload.figures import OutletDay, TellerDay


@dataclass(frozen=True)
class OutletView:
    outlets: tuple[Unit, ...]  # the outlets one may choose
    outlet: Unit | None
    day: dt.date
    today: OutletDay | None
    chart: dict[str, Any]  # the 30-day trend per teller, for ECharts


@dataclass(frozen=True)
class OwnView:
    outlet: Unit
    day: dt.date
    days: tuple[TellerDay, ...]  # the last 30 days with work, newest first
    chart: dict[str, Any]


def _chart(days: list[dt.date], rows: list[TellerDay]) -> dict[str, Any]:
    by_teller: dict[str, dict[dt.date, TellerDay]] = defaultdict(dict)
    for row in rows:
        by_teller[row.name][row.day] = row
    return {
        "days": [d.isoformat()[5:] for d in days],
        "series": [
            {
                "name": name,
                "weighted": [
                    round(cells[d].figures.weighted, 1) if d in cells else None for d in days
                ],
                "busy_h": [
                    round(cells[d].figures.busy_s / 3600, 2) if d in cells else None for d in days
                ],
            }
            for name, cells in sorted(by_teller.items())
        ],
    }


def _days(last: dt.date) -> list[dt.date]:
    return [last - dt.timedelta(days=i) for i in range(figures.TREND_DAYS - 1, -1, -1)]


def outlet_view(
    session: Session,
    scope_path: str,
    outlet_code: str,
    day: dt.date | None,
    *,
    now: dt.datetime,
    break_min: float,
) -> OutletView:
    outlets = queries.outlets_in_scope(session, scope_path)
    if outlet_code:
        chosen = next((o for o in outlets if o.code == outlet_code), None)
        if chosen is None:
            raise NotFound("no outlet {code} in your scope", "outlet", code=outlet_code)
    else:
        chosen = outlets[0] if outlets else None
    if chosen is None:
        return OutletView((), None, day or now.date(), None, {"days": [], "series": []})
    day = day or figures.business_day(session, chosen, now)
    today = figures.outlet_day(session, chosen, day, now=now, break_min=break_min)
    rows = figures.trend(session, chosen, day, now=now, break_min=break_min)
    return OutletView(tuple(outlets), chosen, day, today, _chart(_days(day), rows))


def own_view(
    session: Session, staff_id: int, outlet: Unit, day: dt.date | None, *, now: dt.datetime,
    break_min: float,
) -> OwnView:  # fmt: skip
    day = day or figures.business_day(session, outlet, now)
    rows = figures.trend(session, outlet, day, now=now, break_min=break_min, staff_ids=[staff_id])
    return OwnView(outlet, day, tuple(reversed(rows)), _chart(_days(day), rows))


def unit_of(session: Session, unit_id: int) -> Unit:
    return session.get_one(Unit, unit_id)
