"""Live screens across app hosts over NATS: two hubs (two hosts) both see one host's commit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from manyi import aio, realtime
from manyi.config import Settings
from manyi.db import Database
from manyi.stream import live
from tests.conftest import sqlite_only
from tests.stream_helpers import nats_url

AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@sqlite_only
def test_an_event_committed_on_one_host_reaches_the_screens_of_both(database_url: str) -> None:
    url = nats_url()
    live.register()
    options = {"backend": "nats", "url": url, "prefix": f"test.{uuid.uuid4().hex[:10]}"}
    host_a = Database(database_url, {realtime.BACKEND_KEY: options})
    host_b = Database(database_url, {realtime.BACKEND_KEY: options})
    try:
        assert isinstance(host_a.hub, live.NatsHub) and isinstance(host_b.hub, live.NatsHub)
        assert host_a.hub.listening.wait(5) and host_b.hub.listening.wait(5)

        async def scenario() -> tuple[object, object, object]:
            on_a = host_a.hub.subscribe("lobby:4")
            on_b = host_b.hub.subscribe("lobby:4")
            elsewhere = host_b.hub.subscribe("lobby:7")
            with host_a.session() as session:
                realtime.stage(session, realtime.Event("lobby:4", 41, "called", AT.isoformat()))
            host_a.hub.flush()
            return await on_a.get(2), await on_b.get(5), await elsewhere.get(0.3)

        seen_a, seen_b, seen_elsewhere = aio.run(scenario())
        assert isinstance(seen_a, realtime.Event) and seen_a.id == 41
        assert isinstance(seen_b, realtime.Event) and (seen_b.id, seen_b.kind) == (41, "called")
        assert seen_elsewhere is None  # another outlet's screens hear nothing

        async def rolled_back() -> object:
            on_b = host_b.hub.subscribe("lobby:4")
            try:
                with host_a.session() as session:
                    realtime.stage(session, realtime.Event("lobby:4", 42, "called", AT.isoformat()))
                    raise LookupError
            except LookupError:
                pass
            host_a.hub.flush()
            return await on_b.get(0.5)

        assert aio.run(rolled_back()) is None  # nothing uncommitted leaves the host
    finally:
        host_a.dispose()
        host_b.dispose()


def test_the_settings_choose_the_fan_out_and_the_stream() -> None:
    settings = Settings(realtime="nats", stream="nats", nats_url="nats://nats.bank:4222")
    assert settings.session_info[realtime.BACKEND_KEY] == {
        "backend": "nats",
        "url": "nats://nats.bank:4222",
    }
    assert settings.session_info["manyi.stream"] is True
    default = Settings().session_info
    assert realtime.BACKEND_KEY not in default and "manyi.stream" not in default


@sqlite_only
def test_a_fan_out_nobody_registered_stops_start_up_naming_it(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="MANYI_REALTIME=pigeon"):
        Database(database_url, {realtime.BACKEND_KEY: {"backend": "pigeon"}})
