"""Issuing a ticket for another feature: the ticket of a checked-in appointment (customer reach
calls it) and the lobby manager's ticket at the door (lobby guidance); the lobby's own rules
apply: the outlet must be open, a counter must serve the service, and only staff who manage the
lobby issue priority tickets.

On time, the ticket is appointment-class with its due time (the slot's start), dispatched by
the usual weighted cycle; late past the bank's grace, it is a normal ticket. Either way its
channel is "appointment".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi import audit
from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.service import Operator, issue_ticket
from manyi.org.model import Permission


@dataclass(frozen=True)
class IssuedSlip:
    ticket_id: int
    number: str
    public_token: str
    service_code: str = ""
    people_ahead: int | None = None
    predicted_wait_s: int | None = None


def issue_by_staff(
    session: Session,
    actor: audit.Actor,
    permissions: frozenset[Permission],
    outlet_code: str,
    service_code: str,
    now: dt.datetime,
    *,
    klass: str = PriorityClass.NORMAL.value,
) -> IssuedSlip:
    """The lobby manager's ticket (any class, green channel included), as from the dashboard:
    the lobby's rights apply (`lobby.manage`), with its event and audit record."""
    issued = issue_ticket(
        session, Operator.staff(actor, permissions), outlet_code, service_code, now, klass=klass
    )
    return IssuedSlip(
        issued.ticket.id,
        issued.ticket.number,
        issued.public_token,
        issued.service.code,
        issued.estimate.ahead,
        issued.estimate.wait_s,
    )


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
