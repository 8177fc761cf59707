"""JSON API of the lobby for staff sessions and devices.

Staff sessions use `/api/v1/lobby/...`; device tokens bound to one outlet use
`/device/api/v1/lobby/...` (kiosks issue, calling pads work counters, boards
read). The public side is in `public_api.py`, configuration in
`config_api.py`. All call the same use cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from manyi.db import Session, utcnow
from manyi.lobby import counters, queries, service, stream, transfers
from manyi.lobby.counter_ctx import CounterResult
from manyi.lobby.service import Operator
from manyi.lobby.web.schemas import (
    ActionIn,
    IssueIn,
    OpenIn,
    TransferIn,
    counter_json,
    issued_json,
    snapshot_json,
    ticket_json,
)
from manyi.org.model import Permission
from manyi.org.tables import DeviceToken
from manyi.web.security import DbSession, Principal, device, in_unit_of_work, require

router = APIRouter(tags=["lobby"])
# Kiosks and calling pads send most of a lobby's requests. Their routes sit in
# a router of their own that the app includes first, so matching a device
# request does not walk every page and staff endpoint before it.
device_router = APIRouter(tags=["lobby"])


def _issue(session: Session, operator: Operator, outlet: str | None, body: IssueIn) -> Any:
    issued = service.issue_ticket(
        session,
        operator,
        outlet,
        body.service,
        utcnow(),
        klass=body.klass.value,
        due_at=body.due_at,
        customer_ref=body.customer_ref,
    )
    return issued_json(issued)


def _transfer(
    session: Session, operator: Operator, outlet: str | None, number: int, body: TransferIn
) -> Any:
    result = transfers.transfer(
        session,
        operator,
        outlet,
        number,
        utcnow(),
        service_code=body.service,
        target_counter=body.counter,
        expected_ticket_id=body.ticket_id,
    )
    return counter_json(result)


def staff_operator(principal: Principal) -> Operator:
    return Operator.staff(principal.actor, principal.permissions)


# --- staff --------------------------------------------------------------------------


@router.get("/api/v1/lobby/outlets/{outlet}/queue", summary="Live queue of an outlet")
def queue_for_staff(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = service.outlet_for(session, staff_operator(principal), outlet)
    return snapshot_json(queries.snapshot(session, unit, utcnow()))


@router.get(
    "/api/v1/lobby/outlets/{outlet}/events",
    summary="Lobby events of an outlet as Server-Sent Events (resumes from Last-Event-ID)",
    response_class=StreamingResponse,
)
def events_for_staff(
    outlet: str,
    request: Request,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> StreamingResponse:
    unit = service.outlet_for(session, staff_operator(principal), outlet)
    return stream.outlet_stream(request, unit.id)


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
    result: dict[str, Any] = _issue(session, staff_operator(principal), outlet, body)
    return result


@router.post("/api/v1/lobby/outlets/{outlet}/counters/{number}/open", summary="Sign on")
def open_by_staff(
    outlet: str,
    number: int,
    body: OpenIn | None = None,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    teller = body.teller if body else None
    result = counters.open_counter(
        session, staff_operator(principal), outlet, number, utcnow(), teller
    )
    return counter_json(result)


@router.post("/api/v1/lobby/outlets/{outlet}/counters/{number}/close", summary="Sign off")
def close_by_staff(
    outlet: str,
    number: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    result = counters.close_counter(session, staff_operator(principal), outlet, number, utcnow())
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
        return counter_json(action(session, staff_operator(principal), outlet, number, utcnow()))

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
        result = action(session, staff_operator(principal), outlet, number, utcnow(), expected)
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
    answer: dict[str, Any] = _transfer(session, staff_operator(principal), outlet, number, body)
    return answer


@router.post("/api/v1/lobby/tickets/{ticket_id}/cancel", summary="Cancel a ticket")
def cancel_by_staff(
    ticket_id: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    return ticket_json(service.cancel(session, staff_operator(principal), ticket_id, utcnow()))


@router.post(
    "/api/v1/lobby/tickets/{ticket_id}/requeue",
    summary="Put a no-show back in the queue (within the grace period)",
)
def requeue_by_staff(
    ticket_id: int,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    return ticket_json(service.requeue(session, staff_operator(principal), ticket_id, utcnow()))


# --- devices ------------------------------------------------------------------------
# Kiosks and calling pads are the lobby's busiest callers. Their endpoints are
# `async` and run the whole use case in one worker-thread hop
# (`in_unit_of_work`); the token check needs no hop at all for a known device.


def kiosk_issue(token: DeviceToken, body: IssueIn) -> Callable[[Session], dict[str, Any]]:
    """A kiosk's ticket as a unit of work (the endpoint below and `device_lane`)."""
    operator = Operator.device(token)

    def work(session: Session) -> dict[str, Any]:
        result: dict[str, Any] = _issue(session, operator, body.outlet, body)
        return result

    return work


def pad_work(
    action: Callable[..., CounterResult], token: DeviceToken, number: int, *expected: int | None
) -> Callable[[Session], dict[str, Any]]:
    """A calling pad's action on its counter as a unit of work (the endpoints below and
    `device_lane`); `expected`: the ticket the pad believes current, for the actions on it."""

    def work(session: Session) -> dict[str, Any]:
        operator = Operator.device(token)
        return counter_json(action(session, operator, None, number, utcnow(), *expected))

    return work


@device_router.post(
    "/device/api/v1/lobby/tickets", status_code=201, summary="Kiosk: issue a ticket"
)
async def issue_by_kiosk(
    body: IssueIn, request: Request, token: DeviceToken = device()
) -> JSONResponse:
    result = await in_unit_of_work(request, kiosk_issue(token, body))
    return JSONResponse(result, status_code=201)


@device_router.get("/device/api/v1/lobby/queue", summary="Device: the live queue of its outlet")
async def queue_for_device(request: Request, token: DeviceToken = device()) -> JSONResponse:
    def work(session: Session) -> dict[str, Any]:
        unit = service.outlet_for(session, Operator.device(token), None)
        return snapshot_json(queries.snapshot(session, unit, utcnow()))

    return JSONResponse(await in_unit_of_work(request, work))


@device_router.get(
    "/device/api/v1/lobby/events",
    summary="Device: lobby events of its outlet as Server-Sent Events",
    response_class=StreamingResponse,
)
async def events_for_device(request: Request, token: DeviceToken = device()) -> StreamingResponse:
    return stream.outlet_stream(request, token.outlet_id)


def _device_simple(action: Callable[..., CounterResult]) -> Callable[..., Any]:
    async def endpoint(
        number: int, request: Request, token: DeviceToken = device()
    ) -> JSONResponse:
        return JSONResponse(await in_unit_of_work(request, pad_work(action, token, number)))

    return endpoint


def _device_current(action: Callable[..., CounterResult]) -> Callable[..., Any]:
    async def endpoint(
        number: int,
        request: Request,
        body: ActionIn | None = None,
        token: DeviceToken = device(),
    ) -> JSONResponse:
        work = pad_work(action, token, number, body.ticket_id if body else None)
        return JSONResponse(await in_unit_of_work(request, work))

    return endpoint


for _name, (_summary, _action) in _SIMPLE.items():
    device_router.add_api_route(
        f"/device/api/v1/lobby/counters/{{number}}/{_name}",
        _device_simple(_action),
        methods=["POST"],
        summary="Calling pad: " + _summary.lower(),
        name=f"device_{_name}",
    )
for _name, (_summary, _action) in _CURRENT.items():
    device_router.add_api_route(
        f"/device/api/v1/lobby/counters/{{number}}/{_name}",
        _device_current(_action),
        methods=["POST"],
        summary="Calling pad: " + _summary.lower(),
        name=f"device_{_name}",
    )


@device_router.post(
    "/device/api/v1/lobby/counters/{number}/transfer",
    summary="Calling pad: send the current customer to another service or counter",
)
async def transfer_by_device(
    number: int, body: TransferIn, request: Request, token: DeviceToken = device()
) -> JSONResponse:
    operator = Operator.device(token)
    result = await in_unit_of_work(
        request, lambda session: _transfer(session, operator, None, number, body)
    )
    return JSONResponse(result)
