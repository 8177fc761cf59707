"""The worker's way through rows due for a look (a rectification task to chase, a misconduct
case's deadline to watch): list a batch of due ids in a read-only unit, then take each one on its
own with a claim — a filtered UPDATE that moves its next look past a lease, so that of two
workers only one acts on a row, and a row is looked at once per pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from manyi.db import Database


def due_ids(
    db: Database,
    id_column: InstrumentedAttribute[int],
    check_column: InstrumentedAttribute[Any],
    now: dt.datetime,
    *,
    batch: int = 200,
) -> Iterator[int]:
    """The ids whose `check_column` is at or before `now`, oldest first, each at most once.

    Batches are read in their own read-only unit of work, closed before an id is handed out."""
    seen: set[int] = set()
    while True:
        with db.read() as session:
            due = session.scalars(
                select(id_column)
                .where(check_column <= now)
                .order_by(check_column, id_column)
                .limit(batch)
            ).all()
        fresh = [i for i in due if i not in seen]
        seen.update(fresh)
        yield from fresh
        if len(due) < batch or not fresh:
            return


def claim(
    session: Session,
    id_column: InstrumentedAttribute[int],
    check_column: InstrumentedAttribute[Any],
    row_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Take the row if it is still due (its next look moves to now + lease); False when another
    worker took it meanwhile."""
    claimed = session.scalars(
        update(id_column.class_)
        .where(id_column == row_id, check_column <= now)
        .values({check_column.key: now + lease})
        .returning(id_column)
        .execution_options(synchronize_session=False)
    ).all()
    return bool(claimed)
