"""Live lobby events by Server-Sent Events, through a real HTTP server.

The hub (`manyi.realtime`) on its own, then the streams: a board gets each
call once, in order, with the announcement; a board that reconnects with
`Last-Event-ID` gets what it missed; a customer's stream tells only their own
ticket's status and says which counter to go to. On PostgreSQL, two
databases objects (two hubs, as two processes would have) see each other's
events through LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from manyi import realtime
from manyi.config import load_settings
from manyi.db import Database
from manyi.lobby import counters, events
from manyi.org import device_tokens
from manyi.org.tables import Unit
from manyi.web.app import create_app
from tests.conftest import FIXED_NOW, SYSTEM, Bank
from tests.live_server import SseReader, serve
from tests.lobby_helpers import configure, listening_to, operator


@pytest.fixture
def lobby(db: Database, bank: Bank, frozen_clock: dt.datetime) -> Bank:
    # The server stamps events and checks device tokens at its own now: a clock stopped at
    # FIXED_NOW, which the tests use too.
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    configure(db, bank.unit("OUT-B"), opens=dt.time(0), closes=None)
    return bank


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    settings = load_settings(database_url=db.url, secret_key="stream-secret-" + "x" * 32)
    with serve(create_app(settings, db)) as url:
        yield url


def open_counter(db: Database, number: int, teller: str = "teller.a") -> None:
    with db.session() as session:
        counters.open_counter(session, operator(session, teller), "OUT-A", number, FIXED_NOW)


def token_for(
    db: Database, outlet_id: int, kind: str, counter: int | None = None
) -> dict[str, str]:
    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind=kind,
            name=kind,
            valid_days=1,
            counter=counter,
        )
    return {"Authorization": f"Bearer {secret}"}


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on a thread of its own: the e2e tests' browser keeps a loop on this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


# --- the hub ------------------------------------------------------------------------


def _event(n: int, topic: str = "lobby:1") -> realtime.Event:
    return realtime.Event(topic, n, "called", "2026-11-30T02:00:00+00:00", {"number": f"A{n:03}"})


def test_hub_delivers_by_topic_and_drops_a_backlog_for_a_gap() -> None:
    hub = realtime.Hub("sqlite://")

    async def scenario() -> None:
        mine = hub.subscribe("lobby:1")
        other = hub.subscribe("lobby:2")
        hub.publish([_event(1), _event(2), _event(3, "lobby:2")])
        assert [(await mine.get(1)).id for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        assert (await other.get(1)).id == 3  # type: ignore[union-attr]
        assert await mine.get(0.05) is None
        hub.publish([_event(n) for n in range(4, 4 + realtime.MAX_BACKLOG + 5)])
        await asyncio.sleep(0)
        assert isinstance(await mine.get(1), realtime.Gap)  # too far behind: re-read
        hub.gap()
        assert isinstance(await other.get(1), realtime.Gap)
        mine.close()
        other.close()
        assert hub.subscriber_count() == 0

    run(scenario())


def test_notify_payloads_stay_under_the_postgres_limit() -> None:
    hub = realtime.Hub("postgresql://x")
    big = [realtime.Event("lobby:1", n, "called", "t", {"text": "请" * 300}) for n in range(1, 60)]
    payloads = hub.notify_payloads(big)
    assert len(payloads) > 1
    assert all(len(p.encode()) < 8000 for p in payloads)
    ids = [e["id"] for p in payloads for e in __import__("json").loads(p)["events"]]
    assert ids == list(range(1, 60))


def test_events_reach_subscribers_only_when_the_transaction_commits(
    db: Database, lobby: Bank
) -> None:
    outlet = lobby.unit("OUT-A")
    now = FIXED_NOW

    async def scenario() -> None:
        sub = db.hub.subscribe(events.topic(outlet))
        with pytest.raises(RuntimeError), db.session() as session:
            events.emit(session, outlet, "called", now, data={"number": "A001"})
            raise RuntimeError("roll back")
        with db.session() as session:
            kept = events.emit(session, outlet, "called", now, data={"number": "A002"})
        got = await sub.get(2)
        while isinstance(got, realtime.Gap):  # PostgreSQL's listener starting up
            got = await sub.get(2)
        assert isinstance(got, realtime.Event)
        assert (got.id, got.data["number"]) == (kept, "A002")
        later = await sub.get(0.3)
        assert later is None or isinstance(later, realtime.Gap)  # the rolled-back one never came
        sub.close()

    run(scenario())


def test_a_savepoint_released_is_not_the_commit(db: Database, lobby: Bank) -> None:
    """SQLAlchemy runs the commit hooks when a SAVEPOINT is released too (a survey version made
    on first use, inside a completion): the events staged so far stay staged, and all of them
    go out when the transaction commits, or none when it rolls back."""
    outlet = lobby.unit("OUT-A")

    async def scenario() -> None:
        sub = db.hub.subscribe(events.topic(outlet))
        with pytest.raises(RuntimeError), db.session() as session:
            events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
            with session.begin_nested():
                session.execute(text("SELECT 1"))
            assert len(session.info[realtime.OUTGOING]) == 1
            raise RuntimeError("roll back")
        with db.session() as session:
            first = events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A002"})
            with session.begin_nested():
                session.execute(text("SELECT 1"))
            early = await sub.get(0.2)
            assert early is None or isinstance(early, realtime.Gap)  # nothing before the commit
            second = events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A003"})
        got: list[int] = []
        while len(got) < 2:
            item = await sub.get(5)
            assert item is not None
            if isinstance(item, realtime.Event):
                got.append(item.id)
        assert got == [first, second]
        later = await sub.get(0.3)
        assert later is None or isinstance(later, realtime.Gap)
        sub.close()

    run(scenario())


@pytest.mark.postgres
def test_another_process_hub_hears_commits_through_listen_notify(db: Database, lobby: Bank) -> None:
    if not db.url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    outlet = lobby.unit("OUT-A")
    other = Database(db.url)  # a second hub with its own origin, as in another process
    try:

        async def scenario() -> None:
            sub = await listening_to(other, outlet)
            with db.session() as session:
                first = events.emit(session, outlet, "called", FIXED_NOW)
                second = events.emit(session, outlet, "recalled", FIXED_NOW)
            got = [await sub.get(5), await sub.get(5)]
            assert [e.id for e in got if isinstance(e, realtime.Event)] == [first, second]
            sub.close()

        run(scenario())
    finally:
        other.dispose()


@pytest.mark.postgres
def test_notify_rides_on_the_commit_and_a_failed_commit_sends_nothing(
    db: Database, lobby: Bank
) -> None:
    """The payloads wait on the connection until its COMMIT (pg_notify.notify_with_commit): a
    flush failing after they were left there rolls back, and neither that transaction's event
    nor its payload reaches anyone, now or with the connection's next commit."""
    if not db.url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    outlet = lobby.unit("OUT-A")
    other = Database(db.url)
    try:

        async def scenario() -> None:
            sub = await listening_to(other, outlet)
            session = db.sessionmaker()
            try:
                events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
                # Flushed by the commit, after before_commit left the payload: refused.
                session.add(Unit(code="OUT-A", name_zh="重复", level="outlet", path="/dup/"))
                with pytest.raises(IntegrityError):
                    session.commit()
                session.rollback()
                # The same session and connection commit again, with no event of their own.
                session.execute(text("SELECT 1"))
                assert realtime.NOTIFY_AT_COMMIT not in session.connection().info
                session.commit()
            finally:
                session.close()
            # Quotes and backslashes travel as they are (the payload is a quoted constant).
            note = "it's a \\ back'slash\\' 请到3号窗口 \\x00 '); DROP TABLE units; --"
            with db.session() as session:
                kept = events.emit(
                    session, outlet, "called", FIXED_NOW, data={"number": "A002", "note": note}
                )
            got = await sub.get(5)
            assert isinstance(got, realtime.Event)
            assert (got.id, got.data["number"], got.data["note"]) == (kept, "A002", note)
            assert await sub.get(0.5) is None
            sub.close()

        run(scenario())
    finally:
        other.dispose()


# --- streams over HTTP ------------------------------------------------------------------


def test_board_gets_calls_live_and_what_it_missed_on_reconnect(
    db: Database, lobby: Bank, server: str
) -> None:
    outlet = lobby.unit("OUT-A")
    kiosk = token_for(db, outlet, "kiosk")
    pad = token_for(db, outlet, "counter_pad", counter=1)
    board = token_for(db, outlet, "display")
    with httpx.Client(base_url=server) as http:
        for _ in range(3):
            assert http.post(
                "/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk
            ).is_success
        open_counter(db, 1)
        with SseReader(f"{server}/device/api/v1/lobby/events", headers=board) as stream:
            hello = stream.next("hello")
            assert hello.data["worker"] > 0
            called = http.post("/device/api/v1/lobby/counters/1/call-next", headers=pad).json()
            event = stream.next("lobby")
            assert event.data["kind"] == "called"
            assert event.data["number"] == called["ticket"]["number"]
            assert event.data["counter"] == 1
            assert event.data["announcement"]["zh"] == called["announcement"]["zh"]
            assert http.post("/device/api/v1/lobby/counters/1/recall", headers=pad).is_success
            assert stream.next("lobby").data["kind"] == "recalled"
            last_seen = event.id
        assert last_seen is not None
        # While the board is away: a start, a completion and a new call.
        for action in ("start", "complete", "call-next"):
            assert http.post(f"/device/api/v1/lobby/counters/1/{action}", headers=pad).is_success
        resumed = SseReader(
            f"{server}/device/api/v1/lobby/events",
            headers={**board, "Last-Event-ID": str(last_seen)},
        )
        with resumed:
            resumed.next("hello")
            kinds = []
            while "called" not in kinds:
                item = resumed.next("lobby")
                if item.id is not None and item.id > last_seen:
                    kinds.append(item.data["kind"])
            assert kinds == ["recalled", "started", "completed", "rating_prompted", "called"]


def test_a_device_sees_only_its_own_outlets_events(db: Database, lobby: Bank, server: str) -> None:
    board_b = token_for(db, lobby.unit("OUT-B"), "display")
    pad_a = token_for(db, lobby.unit("OUT-A"), "counter_pad", counter=1)
    kiosk_a = token_for(db, lobby.unit("OUT-A"), "kiosk")
    with (
        httpx.Client(base_url=server) as http,
        SseReader(f"{server}/device/api/v1/lobby/events", headers=board_b) as stream,
    ):
        stream.next("hello")
        http.post("/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk_a)
        open_counter(db, 1)
        http.post("/device/api/v1/lobby/counters/1/call-next", headers=pad_a)
        with pytest.raises(TimeoutError):
            stream.next("lobby", timeout=1.0)
    with httpx.Client(base_url=server) as http:
        refused = http.get("/device/api/v1/lobby/events")
        assert refused.status_code == 401
        assert refused.json()["error"] == "device_denied"


def test_customer_stream_tells_position_then_the_counter(
    db: Database, lobby: Bank, server: str
) -> None:
    outlet = lobby.unit("OUT-A")
    kiosk = token_for(db, outlet, "kiosk")
    pad = token_for(db, outlet, "counter_pad", counter=2)
    open_counter(db, 2)  # a counter serves A: the status page then tells a place and a wait
    with httpx.Client(base_url=server) as http:
        first = http.post("/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk)
        mine = http.post("/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk)
        token = mine.json()["token"]
        assert first.is_success
        assert http.get("/api/v1/public/tickets/nope/events").status_code == 404
        with SseReader(f"{server}/api/v1/public/tickets/{token}/events") as stream:
            status = stream.next("status").data
            assert (status["state"], status["people_ahead"], status["position"]) == (
                "waiting",
                1,
                2,
            )
            http.post("/device/api/v1/lobby/counters/2/call-next", headers=pad)  # the first
            assert stream.next("status").data["people_ahead"] == 0
            for action in ("start", "complete", "call-next"):
                http.post(f"/device/api/v1/lobby/counters/2/{action}", headers=pad)
            called = stream.next("status").data
            assert (called["state"], called["counter"]) == ("called", 2)
            assert "2号窗口" in called["announcement"]["zh"]
            assert "first" not in called  # only this ticket's own status
            for action in ("start", "complete"):
                http.post(f"/device/api/v1/lobby/counters/2/{action}", headers=pad)
            while (done := stream.next("status").data)["state"] != "finished":
                pass
            assert done["outcome"] == "served"
            stream.next("end")
