"""Chaos on PostgreSQL: the app server killed with SIGKILL under lobby load, and the database
restarted under lobby load. Afterwards no ticket is lost, numbered twice, called twice or
stuck, every completion the pads were told of stands, the audit chain verifies, and while the
database was away the server answered 503 (never 500).

The server is a real child process (tests/chaos.py); kiosks and calling pads are httpx
threads. The kills land at random moments of a busy lobby, several rounds, so some fall in
the middle of a take-a-number, a call-next or a complete. The restart uses a PostgreSQL
cluster the test starts itself: the server the other tests share is never restarted.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from manyi.db import Database, upgrade
from tests.chaos import (
    AppServers,
    ChaosClock,
    LobbyLoad,
    PgCluster,
    kill_at_random_moments,
    pg_available,
)
from tests.conftest import PG_URL, _empty_postgres
from tests.integration.lobby_invariants import lobby_problems, lobby_with_devices

pytestmark = pytest.mark.postgres
KILL_ROUNDS = 3


@pytest.fixture
def pg_url(pg_migrated: str) -> str:
    _empty_postgres(pg_migrated)
    return pg_migrated


def lobby_load(app: AppServers, db: Database) -> LobbyLoad:
    kiosk, pads = lobby_with_devices(db)
    return LobbyLoad(app.url, kiosk, pads)


def assert_sound(load: LobbyLoad, app: AppServers, db: Database) -> None:
    # While the database was away: 503 and nothing else of the 5xx kind.
    assert [b for b in load.bodies_5xx if not b.startswith("503")] == []
    assert "500" not in load.statuses, load.statuses
    assert app.server_errors() == []
    assert lobby_problems(db, load.issued, load.completed) == []
    # The lobby works on after the crashes: one more customer takes a number.
    with httpx.Client(base_url=app.url, timeout=10) as client:
        taken = client.post(
            "/device/api/v1/lobby/tickets",
            json={"service": "A"},
            headers={"Authorization": f"Bearer {load.kiosk_secret}"},
        )
        assert taken.status_code == 201, taken.text


def test_app_killed_mid_request_under_lobby_load(pg_url: str, tmp_path: Path) -> None:
    db = Database(pg_url)
    app = AppServers(pg_url, ChaosClock(), tmp_path)
    try:
        load = lobby_load(app, db)
        serving = app.start(KILL_ROUNDS)
        load.start()
        kill_at_random_moments(app, serving)
        load.stop()
        assert app.kills == KILL_ROUNDS
        assert load.statuses["201"] > 0 and len(load.completed) > 0, load.statuses
        assert load.statuses["no answer"] > 0  # the kills did cut requests off
        assert_sound(load, app, db)
    finally:
        app.stop()
        db.dispose()


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    if not PG_URL:
        pytest.skip("MANYI_TEST_DATABASE_URL is not set")
    if not pg_available():
        pytest.skip("PostgreSQL 15's initdb is not installed")
    # Not under pytest's temporary directory: the postgres user may not enter root's.
    directory = Path(tempfile.mkdtemp(prefix="manyi-chaos-pg-"))
    cluster = PgCluster(directory)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_database_restarted_under_lobby_load(own_cluster: PgCluster, tmp_path: Path) -> None:
    upgrade(own_cluster.url)
    db = Database(own_cluster.url)
    app = AppServers(own_cluster.url, ChaosClock(), tmp_path)
    try:
        load = lobby_load(app, db)
        app.start()
        load.start()
        time.sleep(1.0)
        own_cluster.restart()
        time.sleep(1.5)
        own_cluster.restart()
        time.sleep(1.5)
        load.stop()
        db.dispose()  # its connections died with the restarts
        assert load.statuses["201"] > 0 and len(load.completed) > 0, load.statuses
        assert load.statuses["503"] > 0, load.statuses  # the restarts were felt, as 503s
        assert_sound(load, app, db)
    finally:
        app.stop()
        db.dispose()
