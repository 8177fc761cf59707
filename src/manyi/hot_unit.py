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
when it fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
        session.flush()  # what the ORM holds, if anything
        realtime.before_commit(session)
        conn.commit()
        realtime.after_commit(session)
    except BaseException:
        if session is not None:
            realtime.after_rollback(session)
        raise
    finally:
        if session is not None:
            session.close()  # joined, not begun: it leaves the transaction to the connection
        conn.close()  # back to the pool; rolled back first if it did not commit
