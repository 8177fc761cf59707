"""Writers of one SQLite database take turns, each woken as soon as the one before it is done.

SQLite has one write lock per database. A unit of work that may write begins with
`BEGIN IMMEDIATE` (`db.make_engine`); while another writer holds the lock, SQLite's busy
handler tries again after sleeps that grow to 100 ms, so a writer may sleep on long after the
lock is free. At 4 kiosks and 4 calling pads the lobby's median answer was 6 ms and its 99th
percentile 0.5 s (issue 22). Here, before its `BEGIN IMMEDIATE`, a writer takes its turn: the
writers of a process queue on a lock that hands over at once, and the processes serving the same
file (`uvicorn --workers`) share an OS file lock (`flock` on `<database file>-writers`), tried
every half millisecond by the one writer of each process that waits for it. The turn is given
back when the transaction commits or rolls back, or its connection is dropped.

Whoever waits longer than SQLite's own busy timeout gets SQLite's own error ("database is
locked"), as before; SQLite's lock stays behind the turns, so a writer that did not take one
(another program, `sqlite3` at the shell) is still kept out as it always was.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

WAIT_S = 30.0  # as SQLite's busy timeout (db.make_engine)
_POLL_S = 0.0005  # how often a process waiting for another's turn looks again


class WriterTurns:
    """The turns of one database file in this process."""

    def __init__(self, path: Path) -> None:
        self.lock_path = path.with_name(path.name + "-writers")
        self._turn = threading.Lock()  # given back by whichever thread commits
        self._fd: int | None = None
        self._holder: int | None = None  # id() of the DBAPI connection holding the turn
        self._guard = threading.Lock()

    def take(self, dbapi_connection: Any) -> None:
        deadline = time.monotonic() + WAIT_S
        if not self._turn.acquire(timeout=WAIT_S):
            raise sqlite3.OperationalError("database is locked")
        try:
            self._lock_file(deadline)
        except BaseException:
            self._turn.release()
            raise
        with self._guard:
            self._holder = id(dbapi_connection)

    def give_back(self, connection: Any) -> None:
        """`connection`: the DBAPI connection, or the pool's proxy for it (what the dialect's
        commit and rollback are given)."""
        raw = getattr(connection, "dbapi_connection", connection)
        with self._guard:
            if self._holder != id(raw):
                return
            self._holder = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._turn.release()

    def _lock_file(self, deadline: float) -> None:
        if self._fd is None:
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(_POLL_S)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def install(engine: Engine, path: Path) -> WriterTurns:
    """Give the writers of `engine` (a SQLite file at `path`) their turns. Its "begin" listener
    calls `take` before `BEGIN IMMEDIATE`; the turn comes back here, after the commit or
    rollback itself, and when the pool drops the connection."""
    turns = WriterTurns(path)
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "close")
    def _closed(dbapi_connection: Any, _record: Any) -> None:
        turns.give_back(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def _invalidated(dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        turns.give_back(dbapi_connection)

    @event.listens_for(engine, "engine_disposed")
    def _disposed(_engine: Any) -> None:
        turns.close()

    return turns
