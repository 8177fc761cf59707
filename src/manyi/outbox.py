"""The transactional outbox's worker side, for any outbox table: claim, record, hand back.

An outbox row is written in the same transaction as the change that causes it; a worker later
claims due rows under a lease, sends each outside any transaction, and records the outcome only
while it still holds the claim. Staff notifications (`notify.delivery`) and customer messages
(`reach.delivery`) keep their own tables and channels and share these steps, so the claim is
written once. The retry rule itself is `notify.model` (`after_failure`, `is_claimable`).

A table qualifies when it has the columns `id`, `state` ('pending' / 'sending' / ...),
`attempts`, `next_attempt_at`, `claimed_until` and `claimed_by`.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true, update
from sqlalchemy.orm import Session

from manyi.db import Database

PENDING = "pending"
SENDING = "sending"
FAILED = "failed"
ABANDONED_ERROR = "the worker stopped during the last attempt; the outcome is unknown"


def claim_token(worker: str | None = None) -> str:
    """A claim's token: the worker's name (host:pid) and a random part for this pass."""
    name = worker or f"{socket.gethostname()}:{os.getpid()}"
    return f"{name[:50]}/{secrets.token_hex(4)}"


def due(table: Any, now: dt.datetime, max_attempts: int, where: Any = None) -> Any:
    """The claim filter: pending and due, or left sending by a worker whose lease ran out
    (unless that was the last attempt). `notify.model.is_claimable` says the same in Python."""
    return and_(
        where if where is not None else true(),
        or_(
            and_(
                table.state == PENDING,
                table.next_attempt_at <= now,
                or_(table.claimed_until.is_(None), table.claimed_until < now),
            ),
            and_(
                table.state == SENDING,
                table.claimed_until < now,
                table.attempts < max_attempts,
            ),
        ),
    )


def claim(
    session: Session,
    table: Any,
    filter_: ColumnElement[bool],
    *,
    now: dt.datetime,
    limit: int,
    token: str,
    lease: dt.timedelta,
    returning: Sequence[Any],
) -> list[Any]:
    """Take up to `limit` rows matching `filter_` (built with `due`) for this pass, atomically;
    the rows won, with the `returning` columns, oldest due first.

    Two statements in one short transaction: a SELECT picks the ids, then an UPDATE sets the
    lease on exactly those ids, repeating the filter, and RETURNING says which rows this worker
    won. On PostgreSQL the SELECT locks what it picks with FOR UPDATE SKIP LOCKED, so concurrent
    workers pick disjoint rows without waiting (it is not nested in the UPDATE: PostgreSQL may
    re-scan a locking sub-select inside `IN (...)`, and then its LIMIT no longer bounds the
    UPDATE). On SQLite every transaction begins IMMEDIATE (db.py): both statements run under the
    write lock, and a second worker sees the rows claimed and picks others.
    """
    picking = select(table.id).where(filter_).order_by(table.next_attempt_at, table.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picking = picking.with_for_update(skip_locked=True)
    ids = list(session.scalars(picking))
    if not ids:
        return []
    statement = (
        update(table)
        .where(table.id.in_(ids), filter_)
        .values(
            state=SENDING,
            claimed_until=now + lease,
            claimed_by=token,
            attempts=table.attempts + 1,
        )
        .returning(*returning, table.next_attempt_at.label("_due_at"))
        .execution_options(synchronize_session=False)
    )
    return sorted(session.execute(statement).all(), key=lambda r: (r._due_at, r.id))


def fail_abandoned(
    session: Session, table: Any, now: dt.datetime, max_attempts: int, where: Any = None
) -> int:
    """Fail rows whose worker stopped during their last attempt (its lease ran out)."""
    result = session.execute(
        update(table)
        .where(
            where if where is not None else true(),
            table.state == SENDING,
            table.claimed_until < now,
            table.attempts >= max_attempts,
        )
        .values(state=FAILED, claimed_until=None, last_error=ABANDONED_ERROR)
        .returning(table.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def record(session: Session, table: Any, row_id: int, token: str, **values: Any) -> int:
    """Set `values` on a row this claim still holds (1), or change nothing (0): a worker that
    lost its lease records nothing over the worker that took the row over."""
    result = session.execute(
        update(table)
        .where(table.id == row_id, table.state == SENDING, table.claimed_by == token)
        .values(claimed_until=None, **values)
        .returning(table.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def release(db: Database, table: Any, ids: Sequence[int], token: str) -> int:
    """Hand claimed, unsent rows back: pending again, the attempt not counted."""
    with db.session() as session:
        result = session.execute(
            update(table)
            .where(table.id.in_(ids), table.state == SENDING, table.claimed_by == token)
            .values(state=PENDING, claimed_until=None, attempts=table.attempts - 1)
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())
