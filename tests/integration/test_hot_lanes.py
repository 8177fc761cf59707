"""PostgreSQL's hot units on lanes (`manyi.hot_lanes`): each thread keeps one connection, out
of the pool, between its units; a dead one is replaced, a failed unit leaves it clean, and a
unit that cannot have the lane (nested, or past the cap) takes a pooled connection as before."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from psycopg import pq
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from manyi import hot_lanes, hot_unit, realtime
from manyi.db import Database
from manyi.driver_sql import Driver
from manyi.lobby import events
from manyi.lobby.tables import LobbyEventRow
from manyi.org.tables import Unit
from manyi.pg_lean import LeanStatements
from tests.conftest import FIXED_NOW, Bank
from tests.lobby_helpers import listening_to

# PostgreSQL only (the `database_url` fixture's other engine is SQLite, which has no lanes).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def pg(db: Database) -> Iterator[Database]:
    if db.lanes is None:
        pytest.skip("lanes are PostgreSQL's")
    yield db


def backend(session: object) -> int:
    found = Driver(session).one("SELECT pg_backend_pid()")  # type: ignore[arg-type]
    assert found is not None
    return int(found[0])


def events_stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(LobbyEventRow)) or 0)


def kill(db: Database, pid: int) -> None:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


def test_a_threads_units_share_one_connection_kept_out_of_the_pool(
    pg: Database, bank: Bank
) -> None:
    outlet = bank.unit("OUT-A")
    pids = []
    for n in range(3):
        with pg.hot_session() as session:
            pids.append(backend(session))
            events.emit(session, outlet, "called", FIXED_NOW, data={"number": f"A00{n}"})
    assert len(set(pids)) == 1 and len(pg.lanes or ()) == 1
    assert pg.engine.pool.checkedout() == 0  # the lane is not the pool's
    assert events_stored(pg) == 3
    # Another thread: a lane of its own.
    other: list[int] = []

    def on_a_thread() -> None:
        with pg.hot_session() as session:
            other.append(backend(session))

    worker = threading.Thread(target=on_a_thread)
    worker.start()
    worker.join()
    assert other and other[0] != pids[0] and len(pg.lanes or ()) == 2


def test_a_failed_unit_leaves_the_lane_clean(pg: Database, bank: Bank) -> None:
    outlet = bank.unit("OUT-A")
    with pytest.raises(RuntimeError), pg.hot_session() as session:
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
        raise RuntimeError("refused")
    with pytest.raises(IntegrityError), pg.hot_session() as session:
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A002"})
        session.add(Unit(code="OUT-A", name_zh="重复", level="outlet", path="/dup/"))
    with pytest.raises(RuntimeError, match="commit alone"), pg.hot_session() as session:
        assert hot_unit.statements_commit_alone(session)
        session.get_one(Unit, outlet).name_zh = "改了"
    assert events_stored(pg) == 0
    with pg.hot_session() as session:  # the same lane: idle, out of autocommit
        raw = Driver(session).raw
        assert raw.autocommit is False
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A003"})
    assert events_stored(pg) == 1 and len(pg.lanes or ()) == 1
    with pg.read() as session:
        assert session.get_one(Unit, outlet).name_zh != "改了"


def test_a_dead_lane_is_replaced_after_idling_and_fails_its_unit_as_503_else(
    pg: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    outlet = bank.unit("OUT-A")
    with pg.hot_session() as session:
        first = backend(session)
    # Killed while the lane idled: checked before the next unit, replaced, the unit works.
    kill(pg, first)
    monkeypatch.setattr(hot_lanes, "PING_AFTER_IDLE_S", 0.0)
    with pg.hot_session() as session:
        second = backend(session)
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
    assert second != first and events_stored(pg) == 1
    # Killed within a moment of its last unit: that unit fails as the database away
    # (SQLAlchemy's wrapped error, which the app answers 503), and the next gets a new lane.
    monkeypatch.setattr(hot_lanes, "PING_AFTER_IDLE_S", 3600.0)
    kill(pg, second)
    with pytest.raises(DBAPIError) as failed, pg.hot_session() as session:
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A002"})
    assert failed.value.connection_invalidated
    with pg.hot_session() as session:
        assert backend(session) not in (first, second)
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A003"})
    assert events_stored(pg) == 2 and len(pg.lanes or ()) == 1


def test_a_unit_inside_another_or_past_the_cap_takes_a_pooled_connection(
    pg: Database, bank: Bank
) -> None:
    outlet = bank.unit("OUT-A")
    with pg.hot_session() as outer:
        with pg.hot_session() as inner:  # its own connection and transaction
            assert backend(inner) != backend(outer)
            events.emit(inner, outlet, "called", FIXED_NOW, data={"number": "A001"})
        assert pg.engine.pool.checkedout() == 0
    assert events_stored(pg) == 1
    assert pg.lanes is not None
    pg.lanes.max_lanes = 1  # this thread holds it: another thread's units use the pool
    seen: list[int] = []

    def on_a_thread() -> None:
        with pg.hot_session():
            seen.append(pg.engine.pool.checkedout())

    worker = threading.Thread(target=on_a_thread)
    worker.start()
    worker.join()
    assert seen == [1] and len(pg.lanes) == 1


def test_dispose_closes_the_lanes_and_a_forked_process_leaves_its_parents_alone(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    lanes = pg.lanes
    assert lanes is not None
    with pg.hot_session() as session:
        raw = Driver(session).raw
    # As seen from a child process (another pid): the parent's lane is neither used nor closed.
    real_pid = hot_lanes.os.getpid()
    monkeypatch.setattr(hot_lanes.os, "getpid", lambda: real_pid + 1)
    with pg.hot_session() as session:
        assert Driver(session).raw is not raw
    lanes.close()
    assert not raw.closed
    monkeypatch.setattr(hot_lanes.os, "getpid", lambda: real_pid)
    pg.dispose()
    assert raw.closed
    with pg.hot_session() as session:  # after dispose: a pooled connection, no new lane
        assert Driver(session).raw is not raw
    assert len(lanes) == 0


def test_a_new_connection_waits_for_the_server_a_bounded_time(pg: Database) -> None:
    """A lane may be opened on the event loop's thread: libpq's default is to wait for ever."""
    with pg.hot_session(bounded=True) as session:
        assert Driver(session).raw.info.get_parameters().get("connect_timeout") == "10"
    named = Database(pg.url + ("&" if "?" in pg.url else "?") + "connect_timeout=3")
    try:
        with named.hot_session() as session:
            assert Driver(session).raw.info.get_parameters().get("connect_timeout") == "3"
    finally:
        named.dispose()


def test_a_lanes_statements_go_past_psycopgs_cursor_and_survive_its_rollbacks(
    pg: Database, bank: Bank
) -> None:
    """On a lane the driver's statements are sent by `pg_lean.LeanStatements`, each prepared
    once by name. psycopg prepares nothing there, so a rolled-back unit does not make it drop
    them (`DEALLOCATE ALL`); if the server loses them anyway, that unit fails and the next
    prepares them again."""
    outlet = bank.unit("OUT-A")
    with pg.hot_session() as session:
        d = Driver(session)
        assert isinstance(d.cursor, LeanStatements) and d.raw.prepare_threshold is None
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
    with pytest.raises(RuntimeError), pg.hot_session() as session:  # rolled back
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A002"})
        raise RuntimeError("refused")
    with pg.hot_session() as session:  # its statements still prepared: no error
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A003"})
        Driver(session).raw.execute("DEALLOCATE ALL")  # lost on the server, behind its back
    with pytest.raises(DBAPIError, match="does not exist"), pg.hot_session() as session:
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A004"})
    with pg.hot_session() as session:
        events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A005"})
    assert events_stored(pg) == 3 and len(pg.lanes or ()) == 1


def test_a_units_begin_goes_with_its_first_statement_and_its_errors_stay_the_servers(
    pg: Database,
) -> None:
    """A lane's BEGIN is sent with the unit's first statement in one write (libpq's pipeline
    mode, left at once). The first statement's failure is raised as the server's own error,
    whether the statement was new (prepared in the same write) or already prepared; its
    preparing is kept when it succeeded, and the lane's next unit runs."""
    failing = "SELECT 1 / $1::int"
    for _ in range(2):  # new, then already prepared
        with pytest.raises(DBAPIError, match="division by zero"), pg.hot_session() as session:
            Driver(session).one(failing, (0,))
        with pg.hot_session() as session:
            d = Driver(session)
            assert d.one(failing, (2,)) == (0,)
            assert d.raw.pgconn.transaction_status == pq.TransactionStatus.INTRANS
            assert d.raw.pgconn.pipeline_status == pq.PipelineStatus.OFF
    with pytest.raises(DBAPIError, match="syntax"), pg.hot_session() as session:
        Driver(session).one("SELEC 1")  # refused when prepared: that error, not the skipped one
    with pg.hot_session() as session:
        assert backend(session) > 0 and len(pg.lanes or ()) == 1


def test_a_lanes_commit_carries_its_units_notifies_to_listeners(pg: Database, bank: Bank) -> None:
    """A lane commits past psycopg (`pg_lean.run_simple`): the unit's NOTIFYs and the COMMIT as
    one simple query. Another process's hub hears each event once, in order, its Chinese and
    quotes as they were; a unit rolled back is heard by no one."""
    outlet = bank.unit("OUT-A")
    other = Database(pg.url)  # a second hub with its own origin, as in another process
    note = "请到3号窗口 it's a \\ back'slash'); --"

    async def scenario() -> None:
        sub = await listening_to(other, outlet)
        with pg.hot_session() as session:
            first = events.emit(session, outlet, "called", FIXED_NOW, data={"note": note})
            second = events.emit(session, outlet, "recalled", FIXED_NOW)
        with pytest.raises(RuntimeError), pg.hot_session() as session:
            events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A009"})
            raise RuntimeError("refused")
        got = [await sub.get(5), await sub.get(5)]
        assert [(e.id, e.data.get("note")) for e in got if isinstance(e, realtime.Event)] == [
            (first, note),
            (second, None),
        ]
        assert await sub.get(0.5) is None
        sub.close()

    try:
        with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever this thread has
            pool.submit(asyncio.run, scenario()).result()
    finally:
        other.dispose()
    assert events_stored(pg) == 2
