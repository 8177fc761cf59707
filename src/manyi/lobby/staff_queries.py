"""Reads for the lobby's staff pages and APIs: the outlets one may choose, an outlet's counters,
the counter a teller sits at, the people of an outlet. Read-only; the pages call these and run
no SQL of their own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby.tables import LobbyCounter, LobbySettings, LobbyTicket
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit


def lobby_outlets_in_scope(session: Session, scope_path: str) -> list[Unit]:
    """Outlets with a configured lobby inside a scope, in tree order."""
    return list(
        session.scalars(
            select(Unit)
            .join(LobbySettings, LobbySettings.outlet_id == Unit.id)
            .where(in_scope(Unit.path, scope_path))
            .order_by(Unit.path)
        ).all()
    )


def counters(session: Session, outlet_id: int) -> list[LobbyCounter]:
    """An outlet's counters by number."""
    return list(
        session.scalars(
            select(LobbyCounter)
            .where(LobbyCounter.outlet_id == outlet_id)
            .order_by(LobbyCounter.number)
        )
    )


def counter_exists(session: Session, outlet_id: int, number: int) -> bool:
    found = session.scalar(
        select(LobbyCounter.id).where(
            LobbyCounter.outlet_id == outlet_id, LobbyCounter.number == number
        )
    )
    return found is not None


def counter_teller(session: Session, outlet_id: int, number: int) -> int | None:
    """The teller signed on at a counter now (None when it is closed or unknown)."""
    found: int | None = session.scalar(
        select(LobbyCounter.teller_id).where(
            LobbyCounter.outlet_id == outlet_id,
            LobbyCounter.number == number,
            LobbyCounter.state != "closed",
        )
    )
    return found


def counter_of_teller(
    session: Session, outlet_id: int, teller_id: int
) -> tuple[LobbyCounter | None, LobbyTicket | None]:
    """The counter a teller is signed on at, and the ticket it serves now (if any)."""
    counter = session.scalar(
        select(LobbyCounter).where(
            LobbyCounter.outlet_id == outlet_id, LobbyCounter.teller_id == teller_id
        )
    )
    current = None
    if counter is not None and counter.current_ticket_id is not None:
        current = session.get(LobbyTicket, counter.current_ticket_id)
    return counter, current


def outlet_staff(session: Session, outlet_id: int) -> tuple[list[Staff], dict[int, int]]:
    """The outlet's active staff by id, and the counter number each teller is signed on at."""
    at_counter: dict[int, int] = {
        teller_id: number
        for teller_id, number in session.execute(
            select(LobbyCounter.teller_id, LobbyCounter.number).where(
                LobbyCounter.outlet_id == outlet_id, LobbyCounter.teller_id.is_not(None)
            )
        ).all()
        if teller_id is not None
    }
    people = list(
        session.scalars(
            select(Staff)
            .where(Staff.unit_id == outlet_id, Staff.active.is_(True))
            .order_by(Staff.id)
        )
    )
    return people, at_counter
