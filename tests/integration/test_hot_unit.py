"""The lean unit of work (`manyi.hot_unit`, `Database.hot_session`) keeps `Database.session`'s
contract: the driver's writes and the ORM's go in one transaction, committed at the end or
rolled back together; staged events reach subscribers only when it commits."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from manyi import realtime
from manyi.db import Database
from manyi.driver_sql import Driver
from manyi.lobby import events
from manyi.lobby.tables import LobbyEventRow
from manyi.org.tables import Unit
from tests.clock import FIXED_NOW
from tests.conftest import Bank


def event_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(LobbyEventRow)) or 0)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on a thread of its own (the e2e tests' browser keeps a loop on this one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_driver_and_orm_writes_commit_together_and_events_follow(db: Database, bank: Bank) -> None:
    outlet = bank.unit("OUT-A")

    async def scenario() -> None:
        sub = db.hub.subscribe(events.topic(outlet))
        with db.hot_session() as session:
            first = events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
            # The ORM, in the same transaction: a read of what the driver wrote, and a write.
            assert session.get(LobbyEventRow, first) is not None
            session.add(Unit(code="HOT-1", name_zh="热路径", level="outlet", path="/hot/"))
            found = Driver(session).one("SELECT count(*) FROM units WHERE code = 'HOT-1'")
            assert found is not None and found[0] == 1
            early = await sub.get(0.2)  # staged, not yet delivered (a Gap: the listener)
            assert early is None or isinstance(early, realtime.Gap)
        got = await sub.get(5)
        while isinstance(got, realtime.Gap):  # PostgreSQL's listener starting up
            got = await sub.get(5)
        assert isinstance(got, realtime.Event) and (got.id, got.data["number"]) == (first, "A001")
        sub.close()

    run(scenario())
    assert event_count(db) == 1
    with db.read() as session:
        assert session.scalar(select(Unit.id).where(Unit.code == "HOT-1")) is not None


def test_an_error_rolls_back_both_and_drops_the_events(db: Database, bank: Bank) -> None:
    outlet = bank.unit("OUT-A")

    async def scenario() -> None:
        sub = db.hub.subscribe(events.topic(outlet))
        with pytest.raises(RuntimeError), db.hot_session() as session:
            events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A001"})
            session.add(Unit(code="HOT-2", name_zh="热路径", level="outlet", path="/hot/"))
            raise RuntimeError("the use case refused")
        # The ORM's pending row fails at the end's flush: the driver's write goes with it.
        with pytest.raises(IntegrityError), db.hot_session() as session:
            events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A002"})
            session.add(Unit(code="OUT-A", name_zh="重复", level="outlet", path="/dup/"))
        assert event_count(db) == 0
        # The connection went back clean: the next unit works and commits.
        with db.hot_session() as session:
            kept = events.emit(session, outlet, "called", FIXED_NOW, data={"number": "A003"})
        got = await sub.get(5)
        while isinstance(got, realtime.Gap):
            got = await sub.get(5)
        assert isinstance(got, realtime.Event) and got.id == kept  # never A001 or A002
        sub.close()

    run(scenario())
    assert event_count(db) == 1
    with db.read() as session:
        assert session.scalar(select(Unit.id).where(Unit.code == "HOT-2")) is None
