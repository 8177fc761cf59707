"""Reports from the roll-ups: whole months from `quality_monthly`, the rest from raw rows.

For a report by outlet, by month or the total over a subtree and period, the responses are
split into parts that do not overlap, each summed in SQL, and the parts added up in one
UNION ALL statement (so one snapshot):

- roll-ups: the whole local months inside the period, (outlet, month) not dirty;
- raw, new: responses above the watermark, anywhere in the period;
- raw, dirty: responses up to the watermark in a dirty (outlet, month) inside those months;
- raw, edges: responses up to the watermark in the period but outside the whole months (the
  part-months at either end of --from/--to).

By `rollups`' invariant the first part is exactly the raw rows it stands for, so the result
equals a query over the raw rows. The watermark is read before and after the statement: the
worker may raise it between the two statements (PostgreSQL's READ COMMITTED gives each its own
snapshot), and the statement is run again when it moved. When the roll-ups were built for
another zone (or never), None: the caller queries the raw rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, text, true, union_all
from sqlalchemy.orm import Session

from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.quality.domain.aggregate import FIELDS, Aggregate
from manyi.quality.sql import local_month, month_of, month_start, next_month, previous_month, sums
from manyi.quality.tables import QualityMonthly as M
from manyi.quality.tables import QualityResponse as R
from manyi.quality.tables import QualityRollupDirty as D
from manyi.quality.tables import QualityRollupState as State

TRIES = 5  # the watermark moves at most once a worker pass; more is a broken worker


def grouped(
    session: Session,
    kind: str | None,
    *,
    tz: str,
    scope_path: str,
    start: dt.date | None,
    end: dt.date | None,
) -> list[tuple[str | None, Aggregate]] | None:
    """(key, aggregate) per outlet code ("outlet"), local month ("month") or one total
    (None); None when the roll-ups cannot serve this report."""
    window = _whole_months(start, end)
    if window is None:
        return None
    if session.connection().dialect.name == "postgresql":
        # A few milliseconds of work that PostgreSQL's cost estimates (millions of raw rows
        # that the roll-ups spare) would otherwise have JIT-compiled for a tenth of a second.
        session.execute(text("SET LOCAL jit = off"))
    for _ in range(TRIES):
        before = _watermark(session, tz)
        if before is None:
            return None
        rows = session.execute(
            _statement(session, kind, tz, scope_path, start, end, window, before)
        )
        found = [
            (None, _aggregate(row)) if kind is None else (row[0], _aggregate(row[1:]))
            for row in rows
        ]
        if _watermark(session, tz) == before:
            return [(k, a) for k, a in found if a.responses or kind is None]
    return None


def _watermark(session: Session, tz: str) -> int | None:
    found = session.execute(select(State.tz, State.watermark).where(State.id == 1)).one_or_none()
    return None if found is None or found[0] != tz else int(found[1])


def _aggregate(values: Any) -> Aggregate:
    return Aggregate(*(int(v or 0) for v in values))


def _whole_months(
    start: dt.date | None, end: dt.date | None
) -> tuple[str | None, str | None] | None:
    """The first and last local month wholly inside [start, end] (None: unbounded on that side),
    or None when there is no whole month in it."""
    first = None if start is None else month_of(start)
    if start is not None and start.day != 1:
        first = next_month(month_of(start))
    last = None if end is None else month_of(end)
    if end is not None and (end + dt.timedelta(days=1)).day != 1:
        last = previous_month(month_of(end))
    if first is not None and last is not None and first > last:
        return None
    return first, last


def _day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


def _statement(
    session: Session,
    kind: str | None,
    tz: str,
    scope_path: str,
    start: dt.date | None,
    end: dt.date | None,
    window: tuple[str | None, str | None],
    watermark: int,
) -> Select[Any]:
    first, last = window
    w_start = None if first is None else month_start(first, tz)
    w_end = None if last is None else month_start(next_month(last), tz)

    # Roll-ups of the whole months, (outlet, month) not dirty.
    rolled: list[ColumnElement[bool]] = [_scope(M.unit_path, scope_path)]
    rolled += [M.month >= first] if first is not None else []
    rolled += [M.month <= last] if last is not None else []
    rolled.append(~exists().where(D.outlet_id == M.outlet_id, D.month == M.month))
    sum_of = [func.sum(getattr(M, f)).label(f) for f in FIELDS]
    parts = [_grouped(select(*_key(kind, M.outlet_id, M.month), *sum_of), kind, rolled)]

    # Raw rows: the period and subtree, then each part's own condition.
    period: list[ColumnElement[bool]] = [_scope(R.unit_path, scope_path)]
    period += [R.answered_at >= _day_start(start, tz)] if start is not None else []
    if end is not None:
        period.append(R.answered_at < _day_start(end + dt.timedelta(days=1), tz))
    in_window: list[ColumnElement[bool]] = []
    in_window += [R.answered_at >= w_start] if w_start is not None else []
    in_window += [R.answered_at < w_end] if w_end is not None else []
    raw_key = _key(kind, R.outlet_id, local_month(session, R.answered_at, tz))
    raw_sums = [s.label(f) for s, f in zip(sums(), FIELDS, strict=True)]

    def raw(*where: ColumnElement[bool]) -> Select[Any]:
        return _grouped(select(*raw_key, *raw_sums), kind, [*period, *where])

    parts.append(raw(R.id > watermark))
    dirty = and_(
        D.outlet_id == R.outlet_id, R.answered_at >= D.starts_at, R.answered_at < D.ends_at
    )
    if session.connection().dialect.name == "postgresql":
        # Driven from the dirty list, an index scan per dirty outlet-month, whatever the
        # planner's (often stale: the worker empties it) idea of the list's size.
        inner = raw(R.id <= watermark, *in_window, dirty).lateral()
        parts.append(select(*inner.c).select_from(D).join(inner, true()))
    else:
        parts.append(raw(R.id <= watermark, *in_window, exists().where(dirty)))
    if w_start is not None:
        parts.append(raw(R.id <= watermark, R.answered_at < w_start))
    if w_end is not None:
        parts.append(raw(R.id <= watermark, R.answered_at >= w_end))

    both = union_all(*parts).subquery()
    totals = [func.sum(both.c[f]) for f in FIELDS]
    if kind is None:
        return select(*totals)
    if kind == "outlet":
        code: Any = Unit.code
        return select(code, *totals).join(Unit, Unit.id == both.c.k).group_by(code)
    return select(both.c.k, *totals).group_by(both.c.k)


def _scope(path: Any, scope_path: str) -> ColumnElement[bool]:
    return in_scope(path, scope_path) if scope_path != "/" else true()


def _key(kind: str | None, outlet: Any, month: Any) -> list[ColumnElement[Any]]:
    if kind is None:
        return []
    return [(outlet if kind == "outlet" else month).label("k")]


def _grouped(
    statement: Select[Any], kind: str | None, where: list[ColumnElement[bool]]
) -> Select[Any]:
    statement = statement.where(*where)
    return statement if kind is None else statement.group_by(statement.selected_columns.k)
