"""The analysis page's report: one call that computes everything the page, its JSON and its
Excel show for one query (and that `bench/complaint_stats.py` times).

- the **trend**: each period of the range against the same period a year earlier (the line
  chart: this period vs last year);
- the **breakdown** by the chosen dimension, with the chosen comparison (the bars);
- the **league table** of units rolled up to the chosen level, with per outlet, per 10,000
  customers and the shares upheld, overdue and disputed;
- the **total** of the scope, the league rows added up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from manyi.insight import analysis
from manyi.insight.analysis import Dimension, KeyRow, PeriodRow
from manyi.insight.analysis_sql import Figures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind, add_months

# The level the league table shows by default: the one below the viewer's unit.
_BELOW = {
    "head_office": Level.TIER1,
    "tier1_branch": Level.TIER2,
    "tier2_branch": Level.OUTLET,
    "outlet": Level.OUTLET,
}


@dataclass(frozen=True)
class Query:
    start: dt.date
    end: dt.date
    kind: PeriodKind = PeriodKind.MONTH
    compare: Compare | None = Compare.YOY
    level: Level = Level.TIER1
    dimension: Dimension = Dimension.BUSINESS_TYPE


@dataclass
class Report:
    query: Query
    trend: list[PeriodRow]
    breakdown: list[KeyRow]
    league: list[KeyRow]
    total: KeyRow = field(init=False)

    def __post_init__(self) -> None:
        figures, previous = Figures(), Figures()
        for row in self.league:
            figures += row.figures
            previous += row.previous or Figures()
        self.total = KeyRow(
            "total",
            "",
            figures,
            previous if self.query.compare is not None else None,
            sum(r.customers for r in self.league),
            sum(r.outlets for r in self.league),
        )


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months: from the first day of the month eleven months back to today."""
    return add_months(today.replace(day=1), -11), today


def default_level(unit_level: str) -> Level:
    return _BELOW.get(unit_level, Level.OUTLET)


def build(session: Session, scope_path: str, query: Query, zone: str, lang: str) -> Report:
    units = analysis.units_in_scope(session, scope_path)
    trend = analysis.series(
        session, scope_path, query.start, query.end, query.kind, zone, Compare.YOY
    )
    breakdown = analysis.breakdown(
        session,
        scope_path,
        query.start,
        query.end,
        query.dimension,
        zone,
        compare=query.compare,
        level=query.level,
        lang=lang,
        units=units,
    )
    if query.dimension is Dimension.UNIT:
        league = breakdown
    else:
        league = analysis.breakdown(
            session,
            scope_path,
            query.start,
            query.end,
            Dimension.UNIT,
            zone,
            compare=query.compare,
            level=query.level,
            lang=lang,
            units=units,
        )
    return Report(query, trend, breakdown, league)
