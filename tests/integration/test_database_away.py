"""While the database is away, every request answers 503 with Retry-After, and nothing is done.

"Away" is made for real on each engine: on PostgreSQL the app reaches the server through a TCP
relay that is cut (every open connection closed, new ones refused), as a network or a restart
drops them; on SQLite the directory holding the file is moved away, as a disk unmounted.
When the database is back, the same clients carry on without anything being redone.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from manyi.config import load_settings
from manyi.db import Database, database_away
from manyi.lobby.tables import LobbyTicket
from manyi.org.device_tokens import TOKEN_PREFIX
from manyi.web.app import RETRY_AFTER_S, create_app
from tests.conftest import _empty_postgres, add_staff, build_bank
from tests.live_server import TcpProxy, serve
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


@dataclass
class Faulty:
    """A database the test can take away and bring back."""

    db: Database
    away: Callable[[], object]
    back: Callable[[], object]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Faulty]:
    if request.param == "sqlite":
        disk = tmp_path / "disk"
        disk.mkdir()
        shutil.copyfile(request.getfixturevalue("sqlite_template"), disk / "manyi.sqlite3")
        db = Database(f"sqlite:///{disk}/manyi.sqlite3")
        try:
            yield Faulty(
                db,
                away=lambda: disk.rename(tmp_path / "unmounted"),
                back=lambda: (tmp_path / "unmounted").rename(disk),
            )
        finally:
            db.dispose()
        return
    base: str = request.getfixturevalue("pg_migrated")
    _empty_postgres(base)
    url = make_url(base)
    proxy = TcpProxy(url.port or 5432)
    db = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        yield Faulty(db, away=proxy.cut, back=proxy.restore)
    finally:
        db.dispose()
        proxy.close()


def assert_unavailable(response: httpx.Response, *, html: bool = False) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_S)
    if html:
        assert response.headers["content-type"].startswith("text/html")
        assert "服务暂时不可用，正在重试…" in response.text
        assert f'<meta http-equiv="refresh" content="{RETRY_AFTER_S}">' in response.text
    else:
        body = response.json()
        assert body["error"] == "service_unavailable"
        assert body["message"] == "服务暂时不可用，正在重试…"
        assert body["retry_after"] == RETRY_AFTER_S


def tickets(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(LobbyTicket.number).order_by(LobbyTicket.id)))


def test_database_away_answers_503_and_the_same_clients_carry_on(faulty: Faulty) -> None:
    db = faulty.db
    bank = build_bank(db)
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a")
    kiosk = device_client(db, outlet, "kiosk")
    board = device_client(db, outlet, "display")
    console = staff_client(db, "lobby.a")
    assert console.post("/api/v1/lobby/outlets/OUT-A/counters/1/open").status_code == 200
    assert kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).status_code == 201

    faulty.away()
    assert_unavailable(kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}))
    assert_unavailable(board.get("/device/api/v1/lobby/queue"))
    assert_unavailable(console.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next"))
    assert_unavailable(console.get("/api/v1/lobby/outlets/OUT-A/queue"))
    assert_unavailable(console.get("/lobby/console?outlet=OUT-A"), html=True)
    health = kiosk.get("/healthz")
    assert health.status_code == 503 and health.headers["retry-after"] == str(RETRY_AFTER_S)
    assert health.json()["database"] == "unreachable"

    faulty.back()
    assert kiosk.get("/healthz").status_code == 200
    # The refused take-a-number took no number: the next one is A002.
    second = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    assert second.status_code == 201 and second.json()["number"] == "A002"
    called = console.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A001"
    assert board.get("/device/api/v1/lobby/queue").status_code == 200
    assert console.get("/lobby/console?outlet=OUT-A").status_code == 200
    assert tickets(db) == ["A001", "A002"]


def test_a_server_that_never_reached_its_database_answers_503() -> None:
    # Nothing listens on port 1: the server starts, but every unit of work fails to connect.
    url = "postgresql+psycopg://manyi@127.0.0.1:1/manyi"
    settings = load_settings(database_url=url, secret_key="test-secret-key-" + "x" * 32)
    db = Database(url)
    try:
        client = TestClient(create_app(settings, db), follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {TOKEN_PREFIX}never-checked"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.headers["retry-after"] == str(RETRY_AFTER_S)
        assert_unavailable(client.post("/device/api/v1/lobby/tickets", json={"service": "A"}))
        assert_unavailable(client.get("/device/api/v1/lobby/queue"))
        assert_unavailable(client.get("/device/kiosk"), html=True)  # the kiosk page itself
    finally:
        db.dispose()


def wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


def sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name
    return error


def test_which_database_errors_mean_away() -> None:
    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert database_away(wrapped(refused))
    # pg_terminate_backend, a fast shutdown, a server starting up: SQLSTATE 57P01, 57P03.
    assert database_away(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert database_away(wrapped(psycopg.errors.CannotConnectNow("the database is starting up")))
    assert database_away(wrapped(sqlite_error("unable to open database file", "SQLITE_CANTOPEN")))
    assert database_away(DisconnectionError("dead connection"))
    assert database_away(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))
    # Work that failed on a reachable database is manyi's fault (500), not an outage.
    assert not database_away(wrapped(sqlite_error("database is locked", "SQLITE_BUSY")))
    assert not database_away(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_away(wrapped(psycopg.errors.SerializationFailure("could not serialize")))
    assert not database_away(wrapped(psycopg.errors.QueryCanceled("statement timeout")))
    assert not database_away(ValueError("not a database error"))


def test_an_event_stream_ends_quietly_when_the_database_is_away(
    faulty: Faulty, caplog: pytest.LogCaptureFixture
) -> None:
    db = faulty.db
    bank = build_bank(db)
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    board = device_client(db, bank.unit("OUT-A"), "display")
    settings = load_settings(database_url=db.url, secret_key="test-secret-key-" + "x" * 32)
    with serve(create_app(settings, db)) as url, httpx.Client(base_url=url, timeout=10) as http:
        http.headers["Authorization"] = board.headers["Authorization"]
        assert http.get("/device/api/v1/lobby/queue").status_code == 200  # a known device
        faulty.away()
        with http.stream("GET", "/device/api/v1/lobby/events") as stream:
            assert stream.status_code == 200
            body = stream.read()  # the stream ends, cleanly: the browser reconnects
        faulty.back()
        assert b"hello" not in body
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        with http.stream("GET", "/device/api/v1/lobby/events") as stream:
            assert next(stream.iter_lines()).startswith("retry:")  # back: it streams again
