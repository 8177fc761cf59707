"""The customer's own ticket, found by the token its slip and status page carry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import Conflict, NotFound
from manyi.lobby.domain.model import TicketState
from manyi.lobby.domain.ticket import Ticket
from manyi.lobby.service import Operator, cancel_row
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit


def cancel_by_token(session: Session, token: str, now: dt.datetime) -> Ticket:
    """The customer gives up their place from the status page."""
    row = latest_leg(session, token)
    outlet = session.get(Unit, row.outlet_id)
    assert outlet is not None
    if row.state != TicketState.WAITING.value:
        raise Conflict(
            "{number} has already been called; please speak to the counter",
            "ticket",
            number=row.number,
        )
    return cancel_row(session, Operator.public(), outlet, row, now)


def latest_leg(session: Session, token: str) -> LobbyTicket:
    row = session.scalar(
        select(LobbyTicket)
        .where(LobbyTicket.public_token == token)
        .order_by(LobbyTicket.id.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound("no such ticket", "token")
    return row
