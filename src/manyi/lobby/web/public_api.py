"""The public side of the lobby API: a customer's phone, no sign-in, rate-limited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from manyi import ratelimit
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.lobby import public_tickets, queries, service, stream
from manyi.lobby.service import Operator
from manyi.lobby.web.schemas import PublicIssueIn, issued_json, status_json, ticket_json
from manyi.web.security import DbSession, csrf_token, public

router = APIRouter(tags=["lobby"])

PUBLIC_ISSUE_LIMIT = 3  # tickets per phone (client address) and outlet …
PUBLIC_ISSUE_WINDOW_S = 600  # … in ten minutes


class TooManyRequests(ManyiError):
    status_code = 429
    error_code = "rate_limited"


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
                **q.estimate.as_json(),
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


@router.get(
    "/api/v1/public/tickets/{token}/events",
    summary="A ticket's status as Server-Sent Events, sent again whenever it changes",
    response_class=StreamingResponse,
)
def public_status_events(
    token: str, request: Request, _: None = public(identify=False), session: Session = DbSession
) -> StreamingResponse:
    outlet_id = public_tickets.latest_leg(session, token).outlet_id  # 404 for an unknown token

    def status(session: Session) -> dict[str, Any]:
        return status_json(queries.ticket_status(session, token, utcnow()))

    return stream.ticket_stream(request, outlet_id, status)


@router.post("/api/v1/public/tickets/{token}/cancel", summary="The customer gives up the ticket")
def public_cancel(
    token: str, _: None = public(identify=False), session: Session = DbSession
) -> dict[str, Any]:
    return ticket_json(public_tickets.cancel_by_token(session, token, utcnow()))
