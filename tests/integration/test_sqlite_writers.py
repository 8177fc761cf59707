"""SQLite's writers take turns (`manyi.sqlite_writers`): the next one starts when the one before
it commits, rolls back or loses its connection, across threads and across the processes serving
the same file; one kept waiting too long gets SQLite's own "database is locked". (That the next
one is woken at once, not after a busy-handler sleep, shows in `bench/lobby_api.py`'s p99.)"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from manyi import sqlite_writers
from manyi.db import Database

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _writer_waits_then_runs(db: Database, started: threading.Event) -> threading.Thread:
    done: list[float] = []

    def write() -> None:
        started.set()
        with db.session() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
        done.append(time.monotonic())

    thread = threading.Thread(target=write, daemon=True)
    thread.done = done  # type: ignore[attr-defined]
    thread.start()
    return thread


@pytest.mark.parametrize("ending", ["commit", "rollback", "invalidate"])
def test_the_next_writer_starts_as_soon_as_the_turn_is_given_back(
    database_url: str, ending: str
) -> None:
    db = Database(database_url)
    try:
        holder = db.engine.connect()
        holder.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: this connection holds the turn
        started = threading.Event()
        waiter = _writer_waits_then_runs(db, started)
        started.wait(5)
        time.sleep(0.3)
        assert waiter.done == []  # type: ignore[attr-defined]  # waiting for its turn
        if ending == "commit":
            holder.commit()
        elif ending == "rollback":
            holder.rollback()
        else:
            holder.invalidate()
        waiter.join(5)
        assert waiter.done, "the waiting writer never ran"  # type: ignore[attr-defined]
        holder.close()
    finally:
        db.dispose()


def test_two_databases_on_one_file_take_turns_as_two_processes_do(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        with first.session() as session:
            session.execute(text("SELECT 1"))
            started = threading.Event()
            waiter = _writer_waits_then_runs(second, started)
            started.wait(5)
            time.sleep(0.2)
            assert waiter.done == []  # type: ignore[attr-defined]
        waiter.join(5)
        assert waiter.done  # type: ignore[attr-defined]
    finally:
        first.dispose()
        second.dispose()


def test_a_writer_kept_waiting_too_long_gets_database_is_locked(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "WAIT_S", 0.2)
    db = Database(database_url)
    try:
        with db.engine.connect() as holder:
            holder.execute(text("SELECT 1"))
            other = db.engine.connect()
            with pytest.raises(Exception, match="database is locked"):
                other.execute(text("SELECT 1"))
            other.close()
        # The turn came back with the holder's connection: writing works again.
        with db.session() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
    finally:
        db.dispose()


def test_the_turns_file_sits_beside_the_database(database_url: str) -> None:
    db = Database(database_url)
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
        path = Path(database_url.split("///", 1)[1])
        assert (path.parent / (path.name + "-writers")).exists()
        # SQLite itself is untouched: another program still finds its lock free and usable.
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        probe.close()
    finally:
        db.dispose()
