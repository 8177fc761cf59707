"""JSON API of the lobby: issue tickets, follow them, work counters.

Three doors to the same use cases: staff sessions (`/api/v1/lobby/...`),
device tokens bound to one outlet (`/device/api/v1/lobby/...`: kiosks issue,
calling pads work counters, boards read), and the public
(`/api/v1/public/...`: a customer's phone, rate-limited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from manyi import ratelimit
from manyi.db import utcnow
from manyi.errors import ManyiError
from manyi.lobby import counters, queries, service
from manyi.lobby.counters import CounterResult
from manyi.lobby.model import PriorityClass, Ticket
from manyi.lobby.service import Issued, Operator
from manyi.org.model import Permission
from manyi.org.tables import DeviceToken
from manyi.web.security import DbSession, Principal, csrf_token, device, public, require

router = APIRouter(tags=["lobby"])

PUBLIC_ISSUE_LIMIT = 3  # tickets per phone (client address) and outlet …
PUBLIC_ISSUE_WINDOW_S = 600  # … in ten minutes


class TooManyRequests(ManyiError):
    status_code = 429
    error_code = "rate_limited"


# --- bodies -----------------------------------------------------------------------


class IssueIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    service: str = Field(min_length=1, max_length=16, description="service code, e.g. A")
    klass: PriorityClass = Field(default=PriorityClass.NORMAL, alias="class")
    due_at: dt.datetime | None = Field(default=None, description="appointments: booked time")
    customer_ref: str | None = Field(default=None, max_length=64)
    outlet: str | None = Field(
        default=None,
        max_length=32,
        description="kiosks: the outlet the kiosk believes it stands in; refused if the "
        "device token belongs to another",
    )


class PublicIssueIn(BaseModel):
    service: str = Field(min_length=1, max_length=16)


class OpenIn(BaseModel):
    teller: str | None = Field(
        default=None, description="username; a lobby manager may sign another teller on"
    )


class ActionIn(BaseModel):
    ticket_id: int | None = Field(
        default=None, description="the ticket the caller believes is current; refused otherwise"
    )


class TransferIn(ActionIn):
    service: str | None = Field(default=None, max_length=16)
    counter: int | None = Field(default=None, ge=1, le=999)


# --- answers ----------------------------------------------------------------------


def ticket_json(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service_code,
        "class": ticket.klass.value,
        "channel": ticket.channel.value,
        "state": ticket.state.value,
        "outcome": ticket.outcome.value if ticket.outcome else None,
        "issued_at": iso(ticket.issued_at),
        "due_at": iso(ticket.due_at),
        "called_at": iso(ticket.first_called_at),
        "started_at": iso(ticket.started_at),
        "finished_at": iso(ticket.finished_at),
        "call_count": ticket.call_count,
        "predicted_wait_s": ticket.predicted_wait_s,
        **extra,
    }


def issued_json(issued: Issued) -> dict[str, Any]:
    return ticket_json(
        issued.ticket,
        outlet=issued.outlet.code,
        service_name={"zh": issued.service.name_zh, "en": issued.service.name("en")},
        people_ahead=issued.people_ahead,
        token=issued.public_token,
        status_api=f"/api/v1/public/tickets/{issued.public_token}",
        valid_until=issued.day_ends_at.isoformat(),
    )


def counter_json(result: CounterResult) -> dict[str, Any]:
    c = result.counter
    body: dict[str, Any] = {
        "outlet": result.outlet.code,
        "counter": {
            "number": c.number,
            "kind": c.kind.value,
            "state": c.state.value,
            "services": list(c.services),
            "teller_id": c.teller_id,
            "current_ticket_id": c.current_ticket_id,
        },
        "ticket": ticket_json(result.ticket) if result.ticket else None,
    }
    if result.announcement:
        body["announcement"] = result.announcement
    if result.reason:
        body["reason"] = result.reason
    return body


def snapshot_json(snap: queries.Snapshot) -> dict[str, Any]:
    return {
        "outlet": {"code": snap.outlet.code, "name": snap.outlet.name_zh},
        "at": snap.now.isoformat(),
        "open": snap.policy.is_open(snap.now),
        "target_wait_s": snap.policy.target_wait_s,
        "last_event_id": snap.last_event_id,
        "services": [
            {
                "code": q.service.code,
                "name": {"zh": q.service.name_zh, "en": q.service.name("en")},
                "fast_lane": q.service.fast_lane,
                "waiting": q.waiting,
                "by_class": q.by_class,
                "longest_wait_s": q.longest_wait_s,
                "predicted_wait_s": q.predicted_wait_s,
            }
            for q in snap.services
        ],
        "counters": [
            {
                "number": v.counter.number,
                "kind": v.counter.kind.value,
                "state": v.counter.state.value,
                "services": list(v.counter.services),
                "teller": v.teller_name,
                "current": v.current_number,
            }
            for v in snap.counters
        ],
        "recent_calls": snap.recent_calls,
        "today": snap.today,
    }


def status_json(status: queries.TicketStatus) -> dict[str, Any]:
    service = status.service
    return ticket_json(
        status.ticket,
        outlet={"code": status.outlet.code, "name": status.outlet.name_zh},
        service_name={"zh": service.name_zh, "en": service.name("en")} if service else None,
        people_ahead=status.people_ahead,
        position=status.people_ahead + 1 if status.people_ahead is not None else None,
        predicted_wait_s=status.predicted_wait_s,
        counter=status.counter_number,
        announcement=status.announcement,
    )


def _staff(principal: Principal) -> Operator:
    return Operator.staff(principal.actor, principal.permissions)


# --- staff --------------------------------------------------------------------------


@router.get("/api/v1/lobby/outlets/{outlet}/queue", summary="Live queue of an outlet")
def queue_for_staff(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = service.outlet_for(session, _staff(principal), outlet)
    return snapshot_json(queries.snapshot(session, unit, utcnow()))


@router.post(
    "/api/v1/lobby/outlets/{outlet}/tickets",
    status_code=201,
    summary="Issue a ticket (lobby manager; any priority class)",
)
def issue_by_staff(
    outlet: str,
    body: IssueIn,
    principal: Principal = require(Permission.LOBBY_MANAGE),
    session: Session = DbSession,
) -> dict[str, Any]:
    issued = service.issue_ticket(
        session,
        _staff(principal),
        outlet,
        body.service,
        utcnow(),
        klass=body.klass.value,
        due_at=body.due_at,
        customer_ref=body.customer_ref,
    )
    return issued_json(issued)


@router.post("/api/v1/lobby/outlets/{outlet}/counters/{number}/open", summary="Sign on")
def open_by_staff(
    outlet: str,
    number: int,
    body: OpenIn | None = None,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    teller = body.teller if body else None
    result = counters.open_counter(session, _staff(principal), outlet, number, utcnow(), teller)
    return counter_json(result)


@router.post("/api/v1/lobby/outlets/{outlet}/counters/{number}/close", summary="Sign off")
def close_by_staff(
    outlet: str,
    number: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    result = counters.close_counter(session, _staff(principal), outlet, number, utcnow())
    return counter_json(result)


_SIMPLE: dict[str, tuple[str, Callable[..., CounterResult]]] = {
    "pause": ("Pause the counter", counters.pause_counter),
    "resume": ("Resume the counter", counters.resume_counter),
    "call-next": ("Call the next customer", counters.call_next),
}
_CURRENT: dict[str, tuple[str, Callable[..., CounterResult]]] = {
    "recall": ("Call the current customer again", counters.recall),
    "start": ("Start serving the current customer", counters.start),
    "complete": ("Finish serving the current customer", counters.complete),
    "no-show": ("The current customer did not come", counters.no_show),
}


def _staff_simple(action: Callable[..., CounterResult]) -> Callable[..., dict[str, Any]]:
    def endpoint(
        outlet: str,
        number: int,
        principal: Principal = require(Permission.LOBBY_VIEW),
        session: Session = DbSession,
    ) -> dict[str, Any]:
        return counter_json(action(session, _staff(principal), outlet, number, utcnow()))

    return endpoint


def _staff_current(action: Callable[..., CounterResult]) -> Callable[..., dict[str, Any]]:
    def endpoint(
        outlet: str,
        number: int,
        body: ActionIn | None = None,
        principal: Principal = require(Permission.LOBBY_VIEW),
        session: Session = DbSession,
    ) -> dict[str, Any]:
        expected = body.ticket_id if body else None
        result = action(session, _staff(principal), outlet, number, utcnow(), expected)
        return counter_json(result)

    return endpoint


for _name, (_summary, _action) in _SIMPLE.items():
    router.add_api_route(
        f"/api/v1/lobby/outlets/{{outlet}}/counters/{{number}}/{_name}",
        _staff_simple(_action),
        methods=["POST"],
        summary=_summary,
        name=f"staff_{_name}",
    )
for _name, (_summary, _action) in _CURRENT.items():
    router.add_api_route(
        f"/api/v1/lobby/outlets/{{outlet}}/counters/{{number}}/{_name}",
        _staff_current(_action),
        methods=["POST"],
        summary=_summary,
        name=f"staff_{_name}",
    )


@router.post(
    "/api/v1/lobby/outlets/{outlet}/counters/{number}/transfer",
    summary="Send the current customer to another service or counter",
)
def transfer_by_staff(
    outlet: str,
    number: int,
    body: TransferIn,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    result = counters.transfer(
        session,
        _staff(principal),
        outlet,
        number,
        utcnow(),
        service_code=body.service,
        target_counter=body.counter,
        expected_ticket_id=body.ticket_id,
    )
    return counter_json(result)


@router.post("/api/v1/lobby/tickets/{ticket_id}/cancel", summary="Cancel a ticket")
def cancel_by_staff(
    ticket_id: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    return ticket_json(service.cancel(session, _staff(principal), ticket_id, utcnow()))


@router.post(
    "/api/v1/lobby/tickets/{ticket_id}/requeue",
    summary="Put a no-show back in the queue (within the grace period)",
)
def requeue_by_staff(
    ticket_id: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    return ticket_json(service.requeue(session, _staff(principal), ticket_id, utcnow()))


# --- devices ------------------------------------------------------------------------


@router.post("/device/api/v1/lobby/tickets", status_code=201, summary="Kiosk: issue a ticket")
def issue_by_kiosk(
    body: IssueIn,
    token: DeviceToken = device(),
    session: Session = DbSession,
) -> dict[str, Any]:
    issued = service.issue_ticket(
        session,
        Operator.device(token),
        body.outlet,
        body.service,
        utcnow(),
        klass=body.klass.value,
        due_at=body.due_at,
        customer_ref=body.customer_ref,
    )
    return issued_json(issued)


@router.get("/device/api/v1/lobby/queue", summary="Device: the live queue of its outlet")
def queue_for_device(token: DeviceToken = device(), session: Session = DbSession) -> dict[str, Any]:
    unit = service.outlet_for(session, Operator.device(token), None)
    return snapshot_json(queries.snapshot(session, unit, utcnow()))


def _device_simple(action: Callable[..., CounterResult]) -> Callable[..., dict[str, Any]]:
    def endpoint(
        number: int, token: DeviceToken = device(), session: Session = DbSession
    ) -> dict[str, Any]:
        return counter_json(action(session, Operator.device(token), None, number, utcnow()))

    return endpoint


def _device_current(action: Callable[..., CounterResult]) -> Callable[..., dict[str, Any]]:
    def endpoint(
        number: int,
        body: ActionIn | None = None,
        token: DeviceToken = device(),
        session: Session = DbSession,
    ) -> dict[str, Any]:
        expected = body.ticket_id if body else None
        return counter_json(
            action(session, Operator.device(token), None, number, utcnow(), expected)
        )

    return endpoint


for _name, (_summary, _action) in _SIMPLE.items():
    router.add_api_route(
        f"/device/api/v1/lobby/counters/{{number}}/{_name}",
        _device_simple(_action),
        methods=["POST"],
        summary="Calling pad: " + _summary.lower(),
        name=f"device_{_name}",
    )
for _name, (_summary, _action) in _CURRENT.items():
    router.add_api_route(
        f"/device/api/v1/lobby/counters/{{number}}/{_name}",
        _device_current(_action),
        methods=["POST"],
        summary="Calling pad: " + _summary.lower(),
        name=f"device_{_name}",
    )


@router.post(
    "/device/api/v1/lobby/counters/{number}/transfer",
    summary="Calling pad: send the current customer to another service or counter",
)
def transfer_by_device(
    number: int,
    body: TransferIn,
    token: DeviceToken = device(),
    session: Session = DbSession,
) -> dict[str, Any]:
    result = counters.transfer(
        session,
        Operator.device(token),
        None,
        number,
        utcnow(),
        service_code=body.service,
        target_counter=body.counter,
        expected_ticket_id=body.ticket_id,
    )
    return counter_json(result)


# --- the public ---------------------------------------------------------------------


@router.get(
    "/api/v1/public/outlets/{outlet}/services",
    summary="Services a customer can queue for, and the form token for taking a ticket",
)
def public_services(
    outlet: str, request: Request, _: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    unit = service.outlet_for(session, Operator.public(), outlet)
    snap = queries.snapshot(session, unit, utcnow())
    return {
        "outlet": {"code": unit.code, "name": unit.name_zh},
        "open": snap.policy.is_open(snap.now),
        "services": [
            {
                "code": q.service.code,
                "name": {"zh": q.service.name_zh, "en": q.service.name("en")},
                "waiting": q.waiting,
                "predicted_wait_s": q.predicted_wait_s,
            }
            for q in snap.services
        ],
        "csrf_token": csrf_token(request),
    }


@router.post(
    "/api/v1/public/outlets/{outlet}/tickets",
    status_code=201,
    summary="Take a normal ticket from a phone (rate-limited; send X-CSRF-Token)",
)
def issue_by_phone(
    outlet: str,
    body: PublicIssueIn,
    request: Request,
    _: None = public(identify=False),
    session: Session = DbSession,
) -> dict[str, Any]:
    now = utcnow()
    client = request.client.host if request.client else "unknown"
    if not ratelimit.hit(
        session, f"ticket:{outlet}:{client}", PUBLIC_ISSUE_LIMIT, PUBLIC_ISSUE_WINDOW_S, now
    ):
        raise TooManyRequests(
            "too many tickets from this phone; please wait a few minutes or use the kiosk"
        )
    issued = service.issue_ticket(session, Operator.public(), outlet, body.service, now)
    return issued_json(issued)


@router.get("/api/v1/public/tickets/{token}", summary="A ticket's live status, by its token")
def public_status(
    token: str, _: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    return status_json(queries.ticket_status(session, token, utcnow()))


@router.post("/api/v1/public/tickets/{token}/cancel", summary="The customer gives up the ticket")
def public_cancel(
    token: str, _: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    return ticket_json(service.cancel_by_token(session, token, utcnow()))
