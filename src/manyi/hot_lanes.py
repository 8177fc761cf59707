"""Hot units of work on PostgreSQL, each thread on a connection of its own (issue 22).

`hot_unit.hot_session` takes a connection from the pool for each unit, wraps it in a
SQLAlchemy `Connection`, makes a `HotSession` on it, and at the end commits through
SQLAlchemy's transaction and events, closes the session and gives the connection back (its
reset, the pool's check-in and check-out hooks). Measured in one process, that was some 200 µs
of CPU of a device's request of about 1,050, a fifth of it; the SQL the unit sends is the same
either way.

A lane is what a thread keeps between its hot units instead: a connection taken out of the
pool for good (detached: the pool's size is not reduced, and a new one fills its place), the
`Connection` around it and one `HotSession`, reused. A unit on a lane sends its statements on
the driver's connection as before (psycopg begins its transaction at the first one); at the
end it flushes what the ORM holds, then sends the COMMIT itself, with the unit's NOTIFY
payloads in the same message (`pg_notify.commit_statement`), and runs the steps a session's
commit runs (`realtime.before_commit`, `after_commit`; `after_rollback` when it fails). The
ORM, when a unit uses it (a cache refilled, an outbox row), runs on the same connection and in
the same transaction; its own bookkeeping of that transaction ends when the session is closed,
after the COMMIT, when there is nothing left to roll back.

What the pool did for each unit, the lane does itself:
- a connection idle PING_AFTER_IDLE_S or more is checked first (one round trip); a dead one
  is dropped and the unit gets a new lane;
- an error of the driver's raised in the unit is wrapped as SQLAlchemy wraps it; a lost
  connection invalidates the lane and the pool's connections with it (`Connection`'s own
  handling), and the next unit gets a new lane;
- after each unit the connection is idle (rolled back if it is not) and out of autocommit;
  when it cannot be, the lane is dropped.

A bounded unit (`bounded=True`: one run on the event loop's own thread, the device lane's) has
its waits cut short, so that the loop is never held long: on its lane's connection a lock is
waited for at most 2 s (`lock_timeout`) and a statement runs at most 5 s (`statement_timeout`),
and data sent that the server does not acknowledge within 5 s ends the connection
(`TCP_USER_TIMEOUT`, Linux); a new connection waits for the server at most
`db.CONNECT_TIMEOUT_S`. Cut short, the unit fails and nothing of it is kept: a lock held
that long or a statement that slow is a stall to be seen in the log (500, as SQLite's "database
is locked" after its busy timeout: `db.database_away`); a connection cut is the database away
(503).

A thread holds at most one lane for each database; a process holds at most `MAX_LANES` (the
threads of the units of work are 4 by default): a unit on another thread, or one begun inside
another on the same thread, takes a pooled connection as before (`hot_unit.hot_session`; a
bounded one, which must not wait unbounded, a connection of its own, bounded, closed after).
Lanes are kept by process: a process forked from one that had lanes neither uses nor closes
them (closing would end the parent's sessions on their shared sockets). `Database.dispose`
closes this process's lanes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from manyi import driver_sql, pg_notify, realtime
from manyi.hot_unit import HotSession, hot_session, raise_as_sqlalchemy, ready_to_commit
from manyi.pg_lean import run_simple

MAX_LANES = 16
# A bounded unit's limits (the module): PostgreSQL settings of its lane's session, and the
# socket's TCP_USER_TIMEOUT in milliseconds.
BOUNDS = {"lock_timeout": "2s", "statement_timeout": "5s"}
TCP_USER_TIMEOUT_MS = 5000
PING_AFTER_IDLE_S = 1.0  # as the pool's check on checkout (db.PING_AFTER_IDLE_S)
_IDLE = TransactionStatus.IDLE


class Lane:
    """One thread's connection, its `Connection` and its reused `HotSession`."""

    def __init__(self, engine: Engine) -> None:
        # Checked out with the pool's check and hooks (a failure raised as SQLAlchemy wraps it),
        # then kept out of the pool: the pool makes another in its place.
        self.conn = engine.connect()
        fairy = self.conn.connection
        fairy.detach()
        raw = fairy.dbapi_connection
        assert raw is not None
        self.raw: Any = raw  # psycopg's connection
        self._lean(raw)
        self.encoding: str = raw.info.encoding
        self.session = HotSession(self.conn, {})
        self.used_at = time.monotonic()
        self.busy = False
        self.bounded = False

    def _lean(self, raw: Any) -> None:
        """The driver's statements on this lane sent past psycopg's cursor (`pg_lean`): psycopg
        itself prepares nothing here from now on, and forgets what it had prepared, so that it
        never deallocates every statement of the connection (it does after a ROLLBACK when it
        holds prepared statements of its own); a `Driver` made for it while pooled is dropped."""
        try:
            raw.prepare_threshold = None
            raw.execute("DEALLOCATE ALL")
            raw.commit()
        except Exception as exc:
            raise_as_sqlalchemy(self.conn, exc)
            raise
        self.conn.info.pop(driver_sql.KEPT, None)

    def bound(self) -> None:
        """Cut this lane's waits short for good (the module: `BOUNDS`)."""
        try:
            for name, value in BOUNDS.items():
                self.raw.execute(f"SELECT set_config('{name}', %s, false)", (value,))
            self.raw.commit()
        except Exception as exc:
            raise_as_sqlalchemy(self.conn, exc)
            raise
        # A Unix socket, or not Linux: the server's bounds alone.
        with contextlib.suppress(Exception):
            family = socket.AF_INET6 if ":" in (self.raw.info.hostaddr or "") else socket.AF_INET
            with socket.fromfd(self.raw.fileno(), family, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, TCP_USER_TIMEOUT_MS)
        self.bounded = True

    def ready(self) -> bool:
        """Whether the lane can take a unit now: not in use, its connection alive (checked
        with one round trip when it lay idle a while)."""
        if self.busy or self.conn.invalidated or self.conn.closed:
            return False
        if time.monotonic() - self.used_at < PING_AFTER_IDLE_S:
            return True
        try:
            self.raw.execute("SELECT 1")
            self.raw.rollback()
        except Exception:  # dead (the server restarted): a new lane
            return False
        return True

    @contextmanager
    def unit(self, info: Mapping[str, Any]) -> Iterator[Session]:
        """A hot unit of work on this lane (`hot_unit.hot_session`'s contract)."""
        session, conn = self.session, self.conn
        self.busy = True
        session.info.clear()
        session.info.update(info)
        session._hot_alone = False
        try:
            yield session
            ready_to_commit(session)
            self._commit()
            realtime.after_commit(session)
        except BaseException as exc:
            conn.info.pop(pg_notify.NOTIFY_AT_COMMIT, None)
            realtime.after_rollback(session)
            raise_as_sqlalchemy(conn, exc)
            raise
        finally:
            try:
                session.close()  # the ORM's part, if it began one (nothing left to undo)
            finally:
                self._reset()
                self.used_at = time.monotonic()
                self.busy = False

    def _commit(self) -> None:
        # Sent past psycopg's cursor and its commit (`pg_lean.run_simple`: some 20–30 µs less).
        payloads: list[str] | None = self.conn.info.pop(pg_notify.NOTIFY_AT_COMMIT, None)
        if payloads:
            # No parameters: sent with the simple protocol, the statements and the COMMIT.
            run_simple(self.raw, pg_notify.commit_statement(payloads).encode(self.encoding))
        elif self.raw.pgconn.transaction_status != _IDLE:
            run_simple(self.raw, b"COMMIT")

    def _reset(self) -> None:
        """The connection idle and out of autocommit for the next unit, or the lane dead."""
        if self.conn.invalidated or self.conn.closed:
            return
        try:
            if self.raw.pgconn.transaction_status != _IDLE:
                self.raw.rollback()
            if self.raw.autocommit:
                self.raw.autocommit = False
        except Exception:  # broken: never lent again
            self.conn.invalidate()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()


@contextmanager
def _unkept(lane: Lane, info: Mapping[str, Any]) -> Iterator[Session]:
    """A bounded unit on a lane made for it alone (none free for its thread), closed after."""
    try:
        lane.bound()
        with lane.unit(info) as session:
            yield session
    finally:
        lane.close()


class Lanes:
    """The lanes of one database in this process (the module)."""

    def __init__(self, engine: Engine, max_lanes: int = MAX_LANES) -> None:
        self.engine = engine
        self.max_lanes = max_lanes
        self._lanes: dict[tuple[int, int], Lane] = {}
        self._lock = threading.Lock()
        self._closed = False

    def unit(
        self, info: Mapping[str, Any], *, bounded: bool = False
    ) -> AbstractContextManager[Session]:
        key = (os.getpid(), threading.get_ident())
        lane = self._lanes.get(key)
        if lane is None or not lane.ready():
            lane = self._renew(key, lane)
            if lane is None:
                if bounded:  # never unbounded on the loop: a lane of its own, not kept
                    return _unkept(Lane(self.engine), info)
                return hot_session(self.engine, dict(info))
        if bounded and not lane.bounded:
            lane.bound()
        return lane.unit(info)

    def _renew(self, key: tuple[int, int], old: Lane | None) -> Lane | None:
        """A new lane for this thread in place of `old` (dead, or busy: then None, and the
        unit takes a pooled connection), or None when the process holds all it may."""
        if old is not None:
            if old.busy:
                return None
            with self._lock:
                self._lanes.pop(key, None)
            old.close()
        with self._lock:
            if self._closed:
                return None
            if self._count(key[0]) >= self.max_lanes:
                self._prune(key[0])  # lanes of threads that have ended
                if self._count(key[0]) >= self.max_lanes:
                    return None
        lane = Lane(self.engine)  # outside the lock: it may wait for the server
        with self._lock:
            if self._closed:
                lane.close()
                return None
            self._lanes[key] = lane
        return lane

    def _count(self, pid: int) -> int:
        return sum(1 for p, _ in self._lanes if p == pid)

    def _prune(self, pid: int) -> None:
        living = {t.ident for t in threading.enumerate()}
        for key in [k for k in self._lanes if k[0] == pid and k[1] not in living]:
            lane = self._lanes.pop(key)
            if not lane.busy:
                lane.close()

    def close(self) -> None:
        """Close this process's lanes; later units take pooled connections."""
        pid = os.getpid()
        with self._lock:
            self._closed = True
            mine = [k for k in self._lanes if k[0] == pid]
            lanes = [self._lanes.pop(k) for k in mine]
        for lane in lanes:
            lane.close()

    def __len__(self) -> int:
        return self._count(os.getpid())
