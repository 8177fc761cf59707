"""The device lane's units on PostgreSQL run on the event loop's own thread, their waits bounded
(`web.security.in_hot_unit_of_work`, `hot_lanes`), but those past a few in the process at once;
with MANYI_DEVICE_LANE_INLINE off, and on SQLite, they take the hop to a unit-of-work thread as
before."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from manyi import hot_lanes
from manyi.db import Database
from manyi.lobby.tables import LobbyTicket
from manyi.lobby.web import api
from manyi.org import device_tokens
from manyi.web import security
from tests.conftest import SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TICKETS = "/device/api/v1/lobby/tickets"


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each kiosk's unit of work ran on."""
    seen: list[str] = []
    original = api.kiosk_issue

    def noting(token: Any, body: Any) -> Callable[..., Any]:
        work = original(token, body)

        def run(session: Any) -> Any:
            seen.append(threading.current_thread().name)
            return work(session)

        return run

    monkeypatch.setattr(api, "kiosk_issue", noting)
    return seen


def kiosk_with(db: Database, outlet: int, **settings: object) -> Any:
    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session, SYSTEM, outlet_id=outlet, kind="kiosk", name="kiosk", valid_days=30
        )
    client = make_client(db, **settings)
    client.headers["Authorization"] = f"Bearer {secret}"
    return client


def test_on_postgresql_the_lane_runs_on_the_loops_thread_unless_turned_off(
    db: Database, bank: Bank, threads: list[str]
) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    staff_client(db, "teller.a").post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    inline = kiosk_with(db, outlet)
    for _ in range(3):  # the first through the endpoint (a token not seen yet), then the lane
        assert inline.post(TICKETS, json={"service": "A"}).status_code == 201
    hopped = kiosk_with(db, outlet, device_lane_inline=False)
    for _ in range(2):
        assert hopped.post(TICKETS, json={"service": "A"}).status_code == 201
    postgres = db.lanes is not None
    assert all(name.startswith("manyi-uow") for name in threads[:1] + threads[3:])
    assert [name.startswith("manyi-uow") for name in threads[1:3]] == [not postgres] * 2
    with db.read() as session:
        numbers = session.scalars(select(LobbyTicket.number).order_by(LobbyTicket.id)).all()
    assert numbers == ["A001", "A002", "A003", "A004", "A005"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_call_that_waits_too_long_for_its_counter_fails_without_holding_the_loop(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(hot_lanes.BOUNDS, "lock_timeout", "300ms")
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    staff_client(db, "teller.a").post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    kiosk = device_client(db, outlet, "kiosk")
    pad = device_client(db, outlet, "counter_pad", counter=1)
    pad_path = "/device/api/v1/lobby/counters/1"
    assert kiosk.post(TICKETS, json={"service": "A"}).status_code == 201
    assert pad.post(f"{pad_path}/call-next").status_code == 200  # the endpoint: token seen
    assert pad.post(f"{pad_path}/complete").status_code == 200  # the lane from here on
    assert kiosk.post(TICKETS, json={"service": "A"}).status_code == 201
    # Another transaction holds the counter's row (a stuck unit elsewhere).
    with db.engine.connect() as holder:
        holder.execute(
            text("SELECT id FROM lobby_counters WHERE outlet_id = :o AND number = 1 FOR UPDATE"),
            {"o": outlet},
        )
        began = time.monotonic()
        stalled = pad.post(f"{pad_path}/call-next")
        waited = time.monotonic() - began
        holder.rollback()
    # Cut at the lock timeout: a stall logged as manyi's (500), nothing written, the loop free.
    assert stalled.status_code == 500 and waited < 5
    with db.read() as session:
        waiting = session.scalar(
            select(func.count()).where(
                LobbyTicket.state == "waiting", LobbyTicket.outlet_id == outlet
            )
        )
    assert waiting == 1
    # The lane works on once the holder is gone.
    called = pad.post(f"{pad_path}/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A002"


def test_requests_that_arrive_together_past_the_limit_take_the_hop_and_all_are_served(
    db: Database, bank: Bank, threads: list[str]
) -> None:
    """On PostgreSQL a lone device request runs on the loop's thread; a burst of more than
    `INLINE_WHILE_AT_MOST` read in the same turn of the loop goes to the units of work's
    threads, so that their waits on the database overlap rather than queue behind the loop.
    Every ticket is issued once, numbered without a gap. (SQLite: always the hop.)"""
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    staff_client(db, "teller.a").post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    kiosk = kiosk_with(db, outlet)
    assert kiosk.post(TICKETS, json={"service": "A"}).status_code == 201  # the token seen
    burst = security.INLINE_WHILE_AT_MOST + 3

    async def together() -> list[int]:
        transport = httpx.ASGITransport(app=kiosk.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://kiosk", headers=kiosk.headers
        ) as client:
            answers = await asyncio.gather(
                *(client.post(TICKETS, json={"service": "A"}) for _ in range(burst))
            )
            alone = await client.post(TICKETS, json={"service": "A"})
        return [a.status_code for a in [*answers, alone]]

    with ThreadPoolExecutor(1, thread_name_prefix="loop") as pool:
        assert pool.submit(asyncio.run, together()).result() == [201] * (burst + 1)
    hopped = [name.startswith("manyi-uow") for name in threads[1:]]
    postgres = db.lanes is not None
    assert hopped == ([True] * burst + [False] if postgres else [True] * (burst + 1))
    assert security._device_units == 0
    with db.read() as session:
        numbers = session.scalars(select(LobbyTicket.number).order_by(LobbyTicket.number)).all()
    assert numbers == [f"A{n:03d}" for n in range(1, burst + 3)]
