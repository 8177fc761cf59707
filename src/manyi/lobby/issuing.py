"""Issuing the ticket of a checked-in appointment (customer reach calls it; the lobby's own
rules apply: the outlet must be open and a counter must serve the service).

On time, the ticket is appointment-class with its due time (the slot's start), dispatched by
the usual weighted cycle; late past the bank's grace, it is a normal ticket. Either way its
channel is "appointment".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.service import Operator, issue_ticket


@dataclass(frozen=True)
class IssuedSlip:
    ticket_id: int
    number: str
    public_token: str


def issue_for_appointment(
    session: Session,
    outlet_id: int,
    service_code: str,
    now: dt.datetime,
    *,
    due_at: dt.datetime,
    late: bool,
    via: str,
) -> IssuedSlip:
    """`via`: "kiosk" or "link" (written in the lobby event's operator name)."""
    operator = Operator(name=f"appointment:{via}", device_outlet_id=outlet_id, appointment=True)
    issued = issue_ticket(
        session,
        operator,
        None,
        service_code,
        now,
        klass=(PriorityClass.NORMAL if late else PriorityClass.APPOINTMENT).value,
        due_at=None if late else due_at,
    )
    return IssuedSlip(issued.ticket.id, issued.ticket.number, issued.public_token)
