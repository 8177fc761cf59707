"""Roll-ups of satisfaction responses, kept by the worker: `quality_monthly` holds the
`Aggregate` sums per (outlet, unit path, local month), so reports over a branch or the whole
bank add up a few thousand rows instead of millions of responses.

The invariant reports rely on (`reports.py`): a `quality_monthly` row holds exactly the
responses of its outlet, path and month with `id <= watermark` (`quality_rollup_state`), unless
its (outlet, month) is listed in `quality_rollup_dirty`; reports read raw rows for what is
dirty or above the watermark. Every transaction here keeps it:

1. `committed_top` takes, under a brief SHARE lock on `quality_responses` (PostgreSQL; it
   waits for inserting transactions to commit, so no id below it can appear later; SQLite has
   one writer at a time), the highest id; then `mark_new` marks the (outlet, month) of every
   response above the watermark and up to that id dirty and moves the watermark there, in one
   transaction. Imports of old dates get new ids, so their months are marked the same way.
2. `recompute_month`: for one month, the dirty outlets' rows are deleted, recomputed from the
   raw rows (`id <= watermark`) and the marks removed, in one transaction. Running it again
   gives the same rows: the job is idempotent, and `mark_months` re-runs any period on demand.

The months are local months in the zone recorded with the watermark; when the bank's zone
changes the roll-ups are emptied and rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from manyi.bulk import insert_returning
from manyi.db import Database
from manyi.quality.domain.aggregate import FIELDS
from manyi.quality.sql import local_month, month_bounds, sums
from manyi.quality.tables import QualityMonthly as M
from manyi.quality.tables import QualityResponse as R
from manyi.quality.tables import QualityRollupDirty as D
from manyi.quality.tables import QualityRollupState as State

DIRTY = cast(Table, D.__table__)
NO_SYNC = {"synchronize_session": False}  # bulk statements: no ORM objects to keep in step
LOCK_TIMEOUT = "2s"  # waiting longer for an import to commit: try again next round


@dataclass(frozen=True)
class Pass:
    marked: int  # (outlet, month) pairs marked dirty by new responses
    months: int  # months recomputed
    busy: bool = False  # the lock could not be had: nothing was marked

    @property
    def done(self) -> int:
        return self.marked + self.months

    def line(self) -> str:
        if self.busy:
            return "responses being inserted; roll-ups next round"
        return f"{self.marked} outlet-months marked, {self.months} months recomputed"


def state(session: Session, tz: str, *, lock: bool = False) -> State:
    """The state row, created on first use; emptied and restarted when the zone changed."""
    statement = select(State).where(State.id == 1)
    found = session.scalar(statement.with_for_update() if lock else statement)
    if found is None:
        found = State(id=1, tz=tz, watermark=0)
        session.add(found)
        session.flush()
    elif found.tz != tz:
        session.execute(delete(M))
        session.execute(delete(D))
        found.tz, found.watermark = tz, 0
        session.flush()
    return found


def committed_top(session: Session) -> int | None:
    """The highest response id, once every transaction inserting responses has committed (a
    SHARE lock on PostgreSQL, released with this short transaction; SQLite has one writer at a
    time): no response below it can appear later. None when the lock was not had in time."""
    if session.connection().dialect.name == "postgresql":
        try:
            with session.begin_nested():
                session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                session.execute(text("LOCK TABLE quality_responses IN SHARE MODE"))
        except OperationalError:
            return None
    return session.scalar(select(func.max(R.id))) or 0


def mark_new(session: Session, tz: str, top: int) -> int:
    """Mark the (outlet, month) of every response above the watermark and up to `top`
    (`committed_top`) dirty and raise the watermark to `top`; how many pairs were marked."""
    current = state(session, tz, lock=True)
    if top <= current.watermark:
        return 0
    month = local_month(session, R.answered_at, tz)
    pairs = session.execute(
        select(R.outlet_id, month).where(R.id > current.watermark, R.id <= top).distinct()
    ).all()
    marked = _mark(session, ((outlet, m) for outlet, m in pairs), tz)
    current.watermark = top
    return marked


def mark_months(session: Session, tz: str, months: Iterable[str]) -> int:
    """Mark every outlet with responses or roll-ups in these months dirty, so the next pass
    recomputes them from the raw rows (a re-run; reports stay exact meanwhile)."""
    state(session, tz, lock=True)
    found: set[tuple[int, str]] = set()
    for m in months:
        starts, ends = month_bounds(m, tz)
        raw = select(R.outlet_id).where(R.answered_at >= starts, R.answered_at < ends)
        rolled = select(M.outlet_id).where(M.month == m)
        found |= {(o, m) for o in session.scalars(raw.union(rolled))}
    return _mark(session, found, tz)


def _mark(session: Session, pairs: Iterable[tuple[int, str]], tz: str) -> int:
    rows: list[dict[str, Any]] = []
    for outlet_id, month in pairs:
        starts, ends = month_bounds(month, tz)
        rows.append({"outlet_id": outlet_id, "month": month, "starts_at": starts, "ends_at": ends})
    added = 0
    for start in range(0, len(rows), 5000):
        added += len(
            insert_returning(
                session.connection(),
                DIRTY,
                rows[start : start + 5000],
                returning=("outlet_id",),
                skip_conflicts_on=("outlet_id", "month"),
            )
        )
    return added


def dirty_months(session: Session) -> list[str]:
    return list(session.scalars(select(D.month).distinct().order_by(D.month)))


def recompute_month(session: Session, tz: str, month: str) -> None:
    """Replace the roll-ups of this month's dirty outlets by sums of their raw rows."""
    current = state(session, tz, lock=True)
    outlets = select(D.outlet_id).where(D.month == month)
    stale = delete(M).where(M.month == month, M.outlet_id.in_(outlets))
    session.execute(stale, execution_options=NO_SYNC)
    starts, ends = month_bounds(month, tz)
    rows = (
        select(R.outlet_id, R.unit_path, literal(month).label("month"), *sums())
        .where(
            R.outlet_id.in_(outlets),
            R.answered_at >= starts,
            R.answered_at < ends,
            R.id <= current.watermark,
        )
        .group_by(R.outlet_id, R.unit_path)
    )
    columns = ["outlet_id", "unit_path", "month", *FIELDS]
    session.execute(insert(M).from_select(columns, rows))
    session.execute(delete(D).where(D.month == month), execution_options=NO_SYNC)


def run_pass(db: Database, tz: str) -> Pass:
    """The worker's pass: mark what is new, then recompute each dirty month in its own
    transaction (a pass interrupted half-way leaves marks that the next pass finishes)."""
    with db.session() as session:
        top = committed_top(session)
    marked = None
    if top is not None:
        with db.session() as session:
            marked = mark_new(session, tz, top)
    with db.session() as session:
        state(session, tz)  # a change of zone empties the roll-ups even when busy
        months = dirty_months(session)
    for month in months:
        with db.session() as session:
            recompute_month(session, tz, month)
    return Pass(marked=marked or 0, months=len(months), busy=marked is None)
