"""A kiosk's ticket on PostgreSQL needs no transaction around it (issue 22): its hot unit runs
its statements in autocommit (`hot_unit.statements_commit_alone`), the reads each alone and the
one write, last, numbering the ticket, writing it and its event and sending the event's NOTIFY
in one statement that commits itself. Without BEGIN and COMMIT, two round trips fewer.

What must hold: other processes hear the event, with its id, ticket and number filled in by
the statement; the connection goes back to the pool out of autocommit; a unit that fails after
its write keeps the ticket and still tells this process's screens; staff (whose audit record is
a second write) and SQLite keep the one transaction; a unit asked to commit alone that leaves
ORM changes fails rather than committing them apart."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from manyi import hot_unit, realtime
from manyi.db import Database
from manyi.lobby import events, service
from manyi.lobby.service import Operator
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from manyi.org import device_tokens
from manyi.org.tables import DeviceToken, Unit
from tests.conftest import FIXED_NOW, SYSTEM, Bank
from tests.lobby_helpers import configure, operator


@pytest.fixture
def kiosk(db: Database, bank: Bank) -> int:
    """OUT-A open all day with its counters; its kiosk's token id."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        row, _ = device_tokens.issue_token(
            session, SYSTEM, outlet_id=bank.unit("OUT-A"), kind="kiosk", name="k", valid_days=1
        )
        return int(row.id)


def _issue(db: Database, kiosk: int) -> tuple[service.Issued, bool, bool]:
    """A kiosk's ticket in a hot unit: (what was issued, whether the unit's statements
    committed alone, whether another connection saw the ticket before the unit ended)."""
    with db.session() as session:
        device = Operator.device(session.get_one(DeviceToken, kiosk))
    with db.hot_session() as session:
        issued = service.issue_ticket(session, device, "OUT-A", "A", FIXED_NOW)
        alone = hot_unit.commits_alone(session)
        seen = 0
        if db.url.startswith("postgresql"):  # SQLite's writer holds the file until commit
            with db.engine.connect() as other:
                found = select(func.count()).where(LobbyTicket.id == issued.ticket.id)
                seen = other.scalar(found) or 0
    return issued, alone, seen == 1


def _run(coroutine: Any) -> Any:
    """asyncio.run on a thread of its own (a test before may have left a loop on this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_kiosks_ticket_commits_with_its_one_statement_and_other_processes_hear_it(
    db: Database, bank: Bank, kiosk: int
) -> None:
    postgres = db.url.startswith("postgresql")
    outlet = bank.unit("OUT-A")
    other = Database(db.url)  # a second hub with its own origin, as in another process
    try:
        _issue(db, kiosk)  # a first ticket: this process's caches of the outlet warmed

        async def scenario() -> tuple[service.Issued, bool, bool, list[Any]]:
            sub = other.hub.subscribe(events.topic(outlet))
            heard: list[Any] = []
            if postgres:
                assert await asyncio.to_thread(other.hub.listening.wait, 10)
                while not sub.queue.empty():  # the gap sent when LISTEN started
                    sub.queue.get_nowait()
            issued, alone, seen = await asyncio.to_thread(_issue, db, kiosk)
            if postgres:
                heard = [await sub.get(5)]
                assert await sub.get(0.3) is None  # once: the commit sent it no second time
            sub.close()
            return issued, alone, seen, heard

        issued, alone, seen, heard = _run(scenario())
        # Committed by its own statement on PostgreSQL: visible before the unit ended.
        assert (alone, seen) == (postgres, postgres)
        if postgres:
            (event,) = heard
            assert isinstance(event, realtime.Event)
            with db.session() as session:
                row = session.get_one(LobbyTicket, issued.ticket.id)
                stored = session.scalar(
                    select(func.max(LobbyEventRow.id)).where(LobbyEventRow.ticket_id == row.id)
                )
            assert (event.id, event.kind, event.data["ticket_id"]) == (stored, "issued", row.id)
            assert event.data["number"] == row.number == issued.ticket.number
            assert event.data["service"] == "A"
        # The connection went back to the pool as it came: the next unit is one transaction.
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert getattr(raw, "autocommit", False) is False
    finally:
        other.dispose()


def test_staff_keep_the_transaction_and_leftover_orm_changes_fail(
    db: Database, bank: Bank, kiosk: int
) -> None:
    with db.hot_session() as session:  # staff: the audit record is a second write
        service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", FIXED_NOW)
        assert not hot_unit.commits_alone(session)
    if not db.url.startswith("postgresql"):
        with db.hot_session() as session:
            assert not hot_unit.statements_commit_alone(session)  # SQLite: one transaction
        return
    with pytest.raises(RuntimeError, match="commit alone"), db.hot_session() as session:
        assert hot_unit.statements_commit_alone(session)
        session.get_one(Unit, bank.unit("OUT-A")).name_zh = "改了"
    with db.session() as session:
        assert session.get_one(Unit, bank.unit("OUT-A")).name_zh != "改了"
    with db.engine.connect() as conn:
        assert getattr(conn.connection.driver_connection, "autocommit", False) is False


@pytest.mark.postgres
def test_a_unit_failing_after_its_write_keeps_the_ticket_and_tells_this_processs_screens(
    db: Database, bank: Bank, kiosk: int
) -> None:
    if not db.url.startswith("postgresql"):
        pytest.skip("statements commit alone on PostgreSQL only")
    with db.session() as session:
        device = Operator.device(session.get_one(DeviceToken, kiosk))

    class Fails(Exception):
        pass

    _issue(db, kiosk)  # caches warmed

    async def scenario() -> Any:
        sub = db.hub.subscribe(events.topic(bank.unit("OUT-A")))
        assert await asyncio.to_thread(db.hub.listening.wait, 10)
        while not sub.queue.empty():  # the gap sent when LISTEN started
            sub.queue.get_nowait()
        issued: list[service.Issued] = []

        def unit() -> None:
            with db.hot_session() as session:
                issued.append(service.issue_ticket(session, device, "OUT-A", "A", FIXED_NOW))
                raise Fails

        with pytest.raises(Fails):
            await asyncio.to_thread(unit)
        got = await sub.get(5)
        sub.close()
        return issued[0], got

    issued, got = _run(scenario())
    assert isinstance(got, realtime.Event) and got.data["ticket_id"] == issued.ticket.id
    with db.session() as session:
        assert session.get(LobbyTicket, issued.ticket.id) is not None
