"""The periodic complaint statistics a bank reports to its regulator (JR/T 0169-2018): counts of
the complaints received in a quarter by region × business type × cause.

- **region** is the tier-1 branch (一级分行) the responsible unit belongs to; cases of the head
  office itself count under the head office;
- **business type** and **cause** are the top-level codes of the JR/T 0169 axes
  (`complaints.domain.taxonomy`); a case not yet classified counts as `unclassified` (未分类),
  so the table always adds up to every case received;
- the quarter is in local dates of the bank's reporting time zone, like the analysis page.

Layout of the export (docs/complaints.md, "Analysis"): one row per region × business type ×
cause with a count (zero rows left out), ordered by region code, business type and cause; the
.xlsx adds a second sheet crossing business types (rows) with causes (columns) for the whole
scope, with totals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import categories
from manyi.complaints.domain.taxonomy import top_level
from manyi.complaints.tables import Complaint
from manyi.insight import analysis
from manyi.insight import analysis_sql as sql
from manyi.insight.analysis import UNCLASSIFIED
from manyi.insight.domain import measures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import add_months

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


@dataclass(frozen=True, slots=True)
class Line:
    region_code: str
    region: str
    business_code: str
    business: str
    cause_code: str
    cause: str
    count: int


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """'2026-Q3' → (2026-07-01, 2026-09-30); ValueError otherwise."""
    found = _QUARTER.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not a quarter like 2026-Q3")
    year, quarter = int(found.group(1)), int(found.group(2))
    first = dt.date(year, 3 * quarter - 2, 1)
    return first, add_months(first, 3) - dt.timedelta(days=1)


def last_full_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3  # the current one, 1-based, minus one
    year = today.year if quarter else today.year - 1
    return f"{year}-Q{quarter or 4}"


def quarter_counts(
    session: Session, scope_path: str, quarter: str, zone: str, lang: str
) -> list[Line]:
    start, end = parse_quarter(quarter)
    units = analysis.units_in_scope(session, scope_path)
    ordered = sorted(units, key=lambda u: len(u.path))
    region_of = measures.rollup([(u.id, u.parent_id, u.level) for u in ordered], Level.TIER1)
    by_id = {u.id: u for u in units}
    statement = (
        select(
            Complaint.responsible_unit_id,
            Complaint.business_code,
            Complaint.cause_code,
            sql.figure_columns()[0],
        )
        .where(*sql.received_within(scope_path, start, end, analysis.zone_of(zone)))
        .group_by(Complaint.responsible_unit_id, Complaint.business_code, Complaint.cause_code)
    )
    counts: Counter[tuple[int, str, str]] = Counter()
    for unit_id, business, cause, n in session.execute(statement):
        region = region_of.get(unit_id)
        if region is None:
            continue
        key = (
            region,
            top_level(business) if business else UNCLASSIFIED,
            top_level(cause) if cause else UNCLASSIFIED,
        )
        counts[key] += n
    names = categories.names(session, lang)
    unclassified = "Unclassified" if lang == "en" else "未分类"

    def name(axis: str, code: str) -> str:
        return unclassified if code == UNCLASSIFIED else names.get((axis, code), code)

    lines = [
        Line(
            by_id[region].code,
            by_id[region].name(lang),
            business,
            name("business", business),
            cause,
            name("cause", cause),
            n,
        )
        for (region, business, cause), n in counts.items()
    ]
    return sorted(lines, key=lambda x: (x.region_code, x.business_code, x.cause_code))


def cross_table(lines: list[Line]) -> tuple[list[str], list[list[object]]]:
    """Business types × causes for the whole scope: (headers, rows), totals last."""
    causes = sorted({(x.cause_code, x.cause) for x in lines})
    businesses = sorted({(x.business_code, x.business) for x in lines})
    cells: Counter[tuple[str, str]] = Counter()
    for x in lines:
        cells[(x.business_code, x.cause_code)] += x.count
    rows: list[list[object]] = []
    for code, label in businesses:
        counts = [cells[(code, c)] for c, _ in causes]
        rows.append([f"{label} ({code})", *counts, sum(counts)])
    totals = [sum(cells[(b, c)] for b, _ in businesses) for c, _ in causes]
    rows.append(["", *totals, sum(totals)])
    return [""] + [f"{label} ({code})" for code, label in causes] + [""], rows
