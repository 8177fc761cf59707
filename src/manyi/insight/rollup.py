"""The complaint analysis roll-up, kept by the worker: `insight_complaint_rollup` holds the
figures (`analysis_sql.Figures`) of each local month per **grain unit** and dimension key, so a
head-office report over two years adds up a few thousand rows instead of reading 700,000 cases
three times (docs/complaints.md, "Analysis").

- The grain unit of a case is its responsible unit's nearest tier-1 branch (ancestor or
  itself), or the unit itself when it has none (head-office cases). Rolled up to the tier-1
  level or above, a grain unit falls in the same group as every case it holds, and a scope at
  a tier-1 branch or above holds a grain unit exactly when it holds its cases: the roll-up
  serves those reports (`rollup_report`) with the same figures as the raw rows.
- Keys are what the analysis groups by (`analysis.key_function(...).key`): top-level
  categories, the intake, the prominent-issue category, `unclassified`; dimension "total"
  (key "") holds every case once.
- `recompute_month` replaces one month's rows from the raw cases, in one transaction:
  idempotent, safe to run again at any time.

When a month can be trusted (`insight_complaint_rollup_months`): it was counted from the cases
as they were at `valid_as_of` (the clock at the pass minus `MARGIN`, so a write flushed before
and committed after the count is still seen as newer) with the units as they were when their
latest update was `units_as_of`. A month is **stale** when one of its cases has been updated
since (`complaints.updated_at` >= `valid_as_of`: every ORM flush and bulk UPDATE sets it, and
imports set it to their time), a case was added since (an id above `ids_as_of`: back-dated
inserts too, demo history or imports of old cases), or a unit has changed (re-parenting, a
new unit). Reports read stale
months from the raw cases; each worker pass recomputes the stale months and moves the clean
months' `valid_as_of` on.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import analysis_sql as sql
from manyi.insight.analysis import Dimension, key_function
from manyi.insight.domain.periods import add_months
from manyi.insight.tables import ComplaintRollup as R
from manyi.insight.tables import ComplaintRollupMonth as M
from manyi.org.tables import Unit

TOTAL = "total"
# The dimensions kept (the product is free text: its breakdown reads the raw cases).
DIMENSIONS = (
    Dimension.BUSINESS_TYPE,
    Dimension.CAUSE,
    Dimension.CHANNEL,
    Dimension.APPEAL,
    Dimension.INTAKE,
    Dimension.CATEGORY,
)
_COLUMNS = (
    Complaint.business_code,
    Complaint.cause_code,
    Complaint.channel_code,
    Complaint.appeal_code,
    Complaint.intake,
    Complaint.issue_code,
)
MARGIN = dt.timedelta(minutes=5)  # longer than any transaction between its flush and commit
MONTHS_PER_PASS = 6  # a month of a million-case bank takes 1–4 s: a pass stays within its lease


@dataclass(frozen=True)
class Pass:
    recomputed: int
    checked: int

    def line(self) -> str:
        return f"{self.recomputed} months recomputed, {self.checked} found up to date"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    found, cursor = [], month_of(first)
    while cursor <= last:
        found.append(cursor)
        cursor = add_months(cursor, 1)
    return found


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def grains(session: Session) -> dict[int, tuple[int, str]]:
    """Each unit's grain unit (id, path): its nearest tier-1 branch, else itself."""
    rows = sorted(
        session.execute(select(Unit.id, Unit.parent_id, Unit.level, Unit.path)),
        key=lambda r: len(r.path),
    )
    tier1: set[int] = set()
    found: dict[int, tuple[int, str]] = {}
    for unit_id, parent, level, path in rows:
        if level == "tier1_branch":
            tier1.add(unit_id)
            found[unit_id] = (unit_id, path)
        elif parent in found and found[parent][0] in tier1:
            found[unit_id] = found[parent]
        else:
            found[unit_id] = (unit_id, path)
    return found


def _top_id(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Complaint.id), 0))) or 0)


def units_as_of(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.max(Unit.updated_at)))


def recompute_month(session: Session, zone: str, month: dt.date, now: dt.datetime) -> int:
    """Replace the roll-up rows of `month` (local, in `zone`) from the raw cases; the rows
    written. The caller commits."""
    valid_as_of, units_time = now - MARGIN, units_as_of(session)
    top_id = _top_id(session)
    grain_of = grains(session)
    keys = [key_function(session, d, "zh").key for d in DIMENSIONS]
    statement = (
        select(Complaint.responsible_unit_id, *_COLUMNS, *sql.figure_columns())
        .where(*sql.received_within("/", month, month_end(month), zoneinfo.ZoneInfo(zone)))
        .group_by(Complaint.responsible_unit_id, *_COLUMNS)
    )
    found: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    named = [
        (k, d.value, key_of) for k, (d, key_of) in enumerate(zip(DIMENSIONS, keys, strict=True))
    ]
    for row in session.execute(statement):
        unit = grain_of[row[0]][0]
        count, upheld, with_verdict, overdue, disputed = row[1 + len(_COLUMNS) :]
        wanted = [(unit, TOTAL, "")]
        wanted += [(unit, dimension, key_of(row[1 + k])) for k, dimension, key_of in named]
        for where in wanted:  # in place: a month is ~30,000 groups × 7 keys
            into = found[where]
            into[0] += count
            into[1] += upheld
            into[2] += with_verdict
            into[3] += overdue
            into[4] += disputed
    paths = dict(grain_of.values())
    session.execute(delete(R).where(R.zone == zone, R.month == month))
    if found:
        session.execute(
            insert(R),
            [
                {
                    "zone": zone,
                    "month": month,
                    "unit_id": unit,
                    "dimension": dimension,
                    "key": key,
                    "unit_path": paths[unit],
                    "count": f[0],
                    "upheld": f[1],
                    "with_verdict": f[2],
                    "overdue": f[3],
                    "disputed": f[4],
                }
                for (unit, dimension, key), f in found.items()
            ],
        )
    session.merge(
        M(
            zone=zone,
            month=month,
            valid_as_of=valid_as_of,
            units_as_of=units_time,
            ids_as_of=top_id,
            computed_at=now,
        )
    )
    return len(found)


def stale_months(session: Session, zone: str, months: Iterable[dt.date]) -> set[dt.date]:
    """Which of `months` cannot be read from the roll-up now: never counted, counted before a
    unit changed, or with a case updated since it was counted."""
    wanted = set(months)
    if not wanted:
        return set()
    status = {
        m.month: m
        for m in session.scalars(select(M).where(M.zone == zone, M.month.in_(sorted(wanted))))
    }
    units_now = units_as_of(session)
    stale = {m for m in wanted if m not in status or status[m].units_as_of != units_now}
    fresh = wanted - stale
    if not fresh:
        return stale
    oldest = min(status[m].valid_as_of for m in fresh)
    first, _ = sql.utc_bounds(min(fresh), min(fresh), zoneinfo.ZoneInfo(zone))
    _, after = sql.utc_bounds(month_end(max(fresh)), month_end(max(fresh)), zoneinfo.ZoneInfo(zone))
    received = (Complaint.received_at >= first, Complaint.received_at < after)
    newest = min(status[m].ids_as_of for m in fresh)
    changed = session.execute(
        select(Complaint.received_at, Complaint.updated_at, Complaint.id)
        .where(Complaint.updated_at >= oldest, *received)
        .union(
            select(Complaint.received_at, Complaint.updated_at, Complaint.id).where(
                Complaint.id > newest, *received
            )
        )
    )
    tz = zoneinfo.ZoneInfo(zone)
    for received_at, updated, case_id in changed:
        month = month_of(_utc(received_at).astimezone(tz).date())
        if month in fresh and (
            _utc(updated) >= status[month].valid_as_of or case_id > status[month].ids_as_of
        ):
            stale.add(month)
    return stale


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def run_pass(db: Database, zone: str, now: dt.datetime) -> Pass:
    """Recompute up to MONTHS_PER_PASS stale months (the latest first) and move the others'
    `valid_as_of` and `ids_as_of` on (what they were checked against); rows of another zone
    are dropped (the bank's zone changed)."""
    with db.session() as session:
        session.execute(delete(R).where(R.zone != zone))
        session.execute(delete(M).where(M.zone != zone))
        top_id = _top_id(session)
        days = sql.received_days(session, "/", zoneinfo.ZoneInfo(zone))
        months = months_between(*days) if days is not None else []
        stale = stale_months(session, zone, months)
        clean = [m for m in months if m not in stale]
        if clean:
            for row in session.scalars(select(M).where(M.zone == zone, M.month.in_(clean))):
                row.valid_as_of = max(row.valid_as_of, now - MARGIN)
                row.ids_as_of = max(row.ids_as_of, top_id)
        session.commit()
    todo = sorted(stale, reverse=True)[:MONTHS_PER_PASS]
    for month in todo:
        with db.session() as session:
            recompute_month(session, zone, month, now)
            session.commit()
    return Pass(len(todo), len(clean))
