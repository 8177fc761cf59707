"""Raw facts for the cockpit's tests: tickets (legs) with their lobby events, counters opened
and closed, ratings, survey answers and complaints, at Beijing times."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from manyi.cockpit import rollups
from manyi.db import Database
from manyi.lobby.tables import LobbyEventRow, LobbyService, LobbyTicket
from manyi.quality.store import NewResponse, insert_responses, outlet_ref
from tests.conftest import FIXED_NOW, Bank
from tests.lobby_helpers import configure

TZ = "Asia/Shanghai"
_numbers = itertools.count(1)


def bj(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Beijing wall-clock time on `day`, in UTC."""
    local = dt.datetime.combine(day, dt.time(hour % 24, minute))
    local += dt.timedelta(days=hour // 24)
    return (local - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC)


def event(db: Database, outlet_id: int, kind: str, at: dt.datetime, **ids: int | None) -> None:
    with db.session() as session:
        session.add(LobbyEventRow(outlet_id=outlet_id, kind=kind, at=at, data={}, **ids))


def ticket(
    db: Database,
    bank: Bank,
    outlet: str,
    issued: dt.datetime,
    *,
    wait_min: float | None,
    serve_min: float = 5,
    outcome: str | None = "served",
    code: str = "A",
    klass: str = "normal",
    previous_id: int | None = None,
    teller: int | None = None,
) -> int:
    """A leg issued at `issued`, called after `wait_min` (None: never called), ended with
    `outcome` `serve_min` later (None: still open); its lobby events are written too."""
    outlet_id = bank.unit(outlet)
    number = next(_numbers)
    called = None if wait_min is None else issued + dt.timedelta(minutes=wait_min)
    finished = None
    if outcome is not None:
        finished = (called or issued) + dt.timedelta(minutes=serve_min if called else 1)
    with db.session() as session:
        service = session.scalars(
            select(LobbyService).where(
                LobbyService.outlet_id == outlet_id, LobbyService.code == "A"
            )
        ).one()
        row = LobbyTicket(
            outlet_id=outlet_id, local_day=issued.date(), prefix="A", seq=number,
            number=f"A{number:03d}", service_id=service.id, service_code=code, klass=klass,
            channel="kiosk", state="finished" if outcome else ("called" if called else "waiting"),
            outcome=outcome, issued_at=issued, queued_at=issued, first_called_at=called,
            last_called_at=called, started_at=called if outcome == "served" else None,
            finished_at=finished, call_count=1 if called else 0,
            public_token=f"t{number}", previous_id=previous_id, teller_id=teller,
        )  # fmt: skip
        session.add(row)
        session.flush()
        ticket_id = row.id
        session.add(
            LobbyEventRow(
                outlet_id=outlet_id, kind="issued", at=issued, ticket_id=ticket_id, data={}
            )
        )
        if called:
            session.add(
                LobbyEventRow(
                    outlet_id=outlet_id, kind="called", at=called, ticket_id=ticket_id, data={}
                )
            )
        if finished:
            ended = LobbyEventRow(
                outlet_id=outlet_id, kind=outcome, at=finished, ticket_id=ticket_id
            )
            session.add(ended)
    return ticket_id


def finish_late(db: Database, ticket_id: int, at: dt.datetime) -> None:
    """Serve a called ticket at `at` (after midnight, say): the row and its event."""
    with db.session() as session:
        row = session.get_one(LobbyTicket, ticket_id)
        row.state, row.outcome, row.finished_at = "finished", "served", at
        row.started_at = row.first_called_at
        served = LobbyEventRow(outlet_id=row.outlet_id, kind="served", at=at, ticket_id=ticket_id)
        session.add(served)


def surveys(db: Database, outlet: str, at: dt.datetime, scores: list[int], prefix: str) -> None:
    with db.session() as session:
        outlet_id, path = outlet_ref(session, outlet)
        insert_responses(
            session,
            [
                NewResponse(source="import", external_id=f"{prefix}{k}", outlet_id=outlet_id,
                            unit_path=path, channel="counter", answered_at=at, csat=score)
                for k, score in enumerate(scores)
            ],
        )  # fmt: skip


def roll_two_outlets(db: Database, bank: Bank, days: list[dt.date]) -> Bank:
    """OUT-A quick (waits of 4 and 6 minutes a day), OUT-B slow (25 and 40), on `days`, rolled
    up."""
    for outlet in ("OUT-A", "OUT-B"):
        configure(db, bank.unit(outlet))
    for day in days:
        for outlet, waits in (("OUT-A", (4, 6)), ("OUT-B", (25, 40))):
            for k, wait in enumerate(waits):
                teller = bank.staff["teller_a"] if outlet == "OUT-A" else None
                ticket(db, bank, outlet, bj(day, 10 + k), wait_min=wait, serve_min=5, teller=teller)
    rollups.run_pass(db, TZ, 900, FIXED_NOW)
    return bank
