"""A lean unit of work for the hottest writes: a kiosk's ticket, a calling pad's call (issue 22).

`Database.session()` runs the ORM's whole transaction machinery around a unit of work: its
session transaction's states, the connection it begins and joins, the flushes and events at
commit and close. The lobby's hot requests write through the driver (`manyi.driver_sql`) and
use almost none of it, yet it cost some 130 µs of CPU a request here, a tenth of the request.

`hot_session(db)` owns the transaction itself, on a Core connection taken from the pool and
begun (so the engine's own hooks still run: SQLite's BEGIN IMMEDIATE and writers' turn, the
NOTIFY sent with the COMMIT, the ping of an idle connection). The session it yields is a real
`Session` (`HotSession`) bound to that connection, whose `connection()` answers it at once.
Whatever uses the ORM in the unit (a cache refilled, an outbox row) gets the ORM's machinery as
usual, in the same transaction (the session joins it as "rollback_only": it never commits it).
At the end the unit flushes what the ORM holds, then commits the connection with the steps the
factory's sessions take at commit (`realtime.before_commit`, `after_commit`; `after_rollback`
when it fails). An error of the driver's own, from a statement sent past SQLAlchemy, leaves the
unit as SQLAlchemy would raise it (wrapped; a lost connection invalidated).

A unit whose only write is one statement needs no transaction around it on PostgreSQL: asked
before it sends anything (`statements_commit_alone`), the unit runs its statements in
autocommit, so its reads and its one write each commit on their own and psycopg sends neither
BEGIN nor COMMIT, two round trips of a kiosk's ticket's four or five (a round trip costs some
100 µs of CPU between the two sides here). Reads in PostgreSQL's READ COMMITTED take a snapshot
per statement anyway; what the unit gives up is only the rollback of its write when something
fails after it, so the write must come last. The connection goes back to the pool as it came.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from manyi import realtime


class HotSession(Session):
    """A session on the unit's connection, whose transaction the unit commits (the module)."""

    def __init__(self, conn: Connection, info: dict[str, Any]) -> None:
        super().__init__(
            bind=conn,
            join_transaction_mode="rollback_only",
            expire_on_commit=False,
            info=info,
        )
        self._hot_connection = conn
        self._hot_alone = False  # statements_commit_alone: its statements in autocommit

    def connection(self, bind_arguments: Any = None, execution_options: Any = None) -> Any:
        if bind_arguments is None and execution_options is None:
            return self._hot_connection
        return super().connection(bind_arguments, execution_options)


@contextmanager
def hot_session(engine: Engine, info: dict[str, Any]) -> Iterator[Session]:
    """A writing unit of work (`Database.session`'s contract): commits when the block
    succeeds, rolls back otherwise. `info`: the sessions' info (the hub, the audit keys)."""
    conn = engine.connect()
    session: HotSession | None = None
    try:
        conn.begin()
        session = HotSession(conn, dict(info))
        yield session
        ready_to_commit(session)
        conn.commit()
        realtime.after_commit(session)
    except BaseException as exc:
        if session is not None:
            realtime.after_rollback(session)
        raise_as_sqlalchemy(conn, exc)
        raise
    finally:
        if session is not None:
            session.close()  # joined, not begun: it leaves the transaction to the connection
            if session._hot_alone:
                _back_to_transactions(conn)
        conn.close()  # back to the pool; rolled back first if it did not commit


def ready_to_commit(session: HotSession) -> None:
    """What a hot unit does before its COMMIT: flush what the ORM holds, then the steps a
    session's commit takes first (`realtime.before_commit`)."""
    if session._hot_alone and (session.new or session.dirty or session.deleted):
        # Flushed now, they would commit apart from the unit's write: a programming error.
        raise RuntimeError("a unit whose statements commit alone left ORM changes")
    session.flush()  # what the ORM holds, if anything
    realtime.before_commit(session)


def raise_as_sqlalchemy(conn: Connection, exc: BaseException) -> None:
    """A driver's own error (`manyi.driver_sql` sends past SQLAlchemy) raised as SQLAlchemy
    raises one, wrapped, and a lost connection invalidated with the pool's others, so that the
    app answers "database away" (503) for it as for any other. Anything else: nothing."""
    if isinstance(exc, conn.dialect.loaded_dbapi.Error) and not conn.invalidated:
        conn._handle_dbapi_exception(exc, None, None, None, None)


def statements_commit_alone(session: Session) -> bool:
    """Run the unit's statements from here on in autocommit (the module): for a unit whose one
    write is its last statement. Done, and True, only in a hot unit on PostgreSQL that has
    sent nothing yet and holds nothing to flush; otherwise nothing changes (False) and the unit
    is one transaction as ever."""
    if not isinstance(session, HotSession):
        return False
    if session._hot_alone:
        return True
    conn = session._hot_connection
    if conn.dialect.name != "postgresql" or session.new or session.dirty or session.deleted:
        return False
    raw = conn.connection.dbapi_connection
    if raw is None or raw.info.transaction_status != TransactionStatus.IDLE:
        return False
    raw.autocommit = True
    session._hot_alone = True
    return True


def commits_alone(session: Session) -> bool:
    """Whether each statement of this unit commits on its own (`statements_commit_alone`)."""
    return isinstance(session, HotSession) and session._hot_alone


def _back_to_transactions(conn: Connection) -> None:
    """The connection as the pool lent it (not in autocommit), or not back in the pool."""
    if conn.invalidated or conn.closed:
        return
    try:
        raw = conn.connection.dbapi_connection
        if raw is not None:
            raw.autocommit = False
    except Exception:  # a broken connection: dropped rather than lent on in autocommit
        conn.invalidate()
