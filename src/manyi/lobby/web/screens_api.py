"""JSON endpoints behind the lobby's screens: the rating pad, the teller
console's own figures, and the lobby manager's dashboard and actions.

The kiosk, board and status page need nothing beyond `api.py` and
`public_api.py`; the pages themselves are in `views.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from manyi import notify
from manyi.db import Session, utcnow
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.lobby import (
    counters,
    dashboard,
    events,
    layouts,
    ports,
    public_tickets,
    queries,
    rating,
    service,
    staff_queries,
    store,
)
from manyi.lobby.adapters import printing
from manyi.lobby.service import Operator
from manyi.lobby.tables import LobbyTicket
from manyi.lobby.web.api import staff_operator
from manyi.lobby.web.pages import phone_base_url
from manyi.lobby.web.schemas import counter_json, snapshot_json, ticket_json
from manyi.org.device_tokens import DeviceKind
from manyi.org.model import Permission
from manyi.org.tables import DeviceToken
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, device, in_unit_of_work, require

router = APIRouter(tags=["lobby screens"])


class RatingIn(BaseModel):
    prompt_id: int
    score: str = Field(description="very_satisfied, satisfied, neutral or dissatisfied")
    reason: str | None = Field(
        default=None, description="long_wait, attitude, skill, process, facilities or other"
    )


class ServicesIn(BaseModel):
    services: list[str] = Field(description="service codes, most preferred first")


class PageIn(BaseModel):
    staff: list[int] = Field(description="ids of the staff members to page")
    message: str = Field(max_length=500)
    channels: list[str] = Field(default=["in_app"])
    sms_too: bool = Field(
        default=False, description="also an SMS to each of them who has a mobile number"
    )


# --- rating pad -------------------------------------------------------------------------


@router.get(
    "/device/api/v1/lobby/rating-pad/{counter}",
    summary="Rating pad: the request to rate now showing at its counter, if any",
)
async def rating_pad_state(
    counter: int, request: Request, token: DeviceToken = device()
) -> JSONResponse:
    def work(session: Session) -> dict[str, Any]:
        operator = Operator.device(token)
        rating.check_pad_counter(operator, counter)
        outlet = service.outlet_for(session, operator, None)
        prompt = rating.waiting_prompt(session, outlet.id, counter, utcnow())
        return {
            "outlet": {"code": outlet.code, "name": outlet.name_zh},
            "counter": counter,
            "teller": rating.counter_badge(session, outlet.id, counter, utcnow()),
            "prompt": rating.prompt_json(prompt) if prompt else None,
            "rating_window_s": layouts.layout(session, outlet).policy.rating_window_s,
            "now": utcnow().isoformat(),
        }

    return JSONResponse(await in_unit_of_work(request, work))


@router.post(
    "/device/api/v1/lobby/ratings", status_code=201, summary="Rating pad: the customer's rating"
)
async def rate(body: RatingIn, request: Request, token: DeviceToken = device()) -> JSONResponse:
    def work(session: Session) -> dict[str, Any]:
        answer = rating.answer(
            session, Operator.device(token), body.prompt_id, body.score, body.reason, utcnow()
        )
        return {
            "rating_id": answer.rating_id,
            "score": answer.score.value,
            "survey_url": answer.survey_path,
        }

    return JSONResponse(await in_unit_of_work(request, work), status_code=201)


@router.post(
    "/api/v1/lobby/outlets/{outlet}/counters/{number}/rating-prompt",
    summary="Show the rating request again (only the teller who served the customer)",
)
def show_rating_again(
    outlet: str,
    number: int,
    principal: Principal = require(Permission.LOBBY_OPERATE),
    session: Session = DbSession,
) -> dict[str, Any]:
    prompt = rating.show_again(session, staff_operator(principal), outlet, number, utcnow())
    return rating.prompt_json(prompt)


@router.get(
    "/device/api/v1/lobby/tickets/{token}/escpos",
    summary="Kiosk: the ticket as ESC/POS bytes for a directly attached thermal printer",
    response_class=Response,
)
async def ticket_escpos(
    token: str, request: Request, paper: int = 80, device_token: DeviceToken = device()
) -> Response:
    if device_token.kind != DeviceKind.KIOSK.value:
        raise Forbidden("only a kiosk prints tickets", "device")
    if paper not in printing.PAPER_COLUMNS:
        raise InvalidInput("paper must be 58 or 80 mm", "paper")
    base_url = phone_base_url(request)

    def work(session: Session) -> bytes:
        if public_tickets.latest_leg(session, token).outlet_id != device_token.outlet_id:
            raise NotFound("no such ticket", "token")
        slip = queries.slip_for(session, token, utcnow(), base_url=base_url, lang="zh")
        return printing.render_escpos(slip, paper)

    data = await in_unit_of_work(request, work)
    return Response(data, media_type="application/octet-stream")


# --- teller console ---------------------------------------------------------------------


@router.get(
    "/api/v1/lobby/outlets/{outlet}/me",
    summary="The signed-in teller's counter and own figures today",
)
def my_day(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = service.outlet_for(session, staff_operator(principal), outlet)
    policy = layouts.layout(session, unit).policy
    day = dashboard.teller_day(session, unit, principal.id, policy.business_day(utcnow()))
    counter, row = staff_queries.counter_of_teller(session, unit.id, principal.id)
    current = None if row is None else ticket_json(store.ticket_of(row), waited_s=_waited(row))
    return {
        "outlet": unit.code,
        "counter": counter.number if counter else None,
        "state": counter.state if counter else None,
        "services": list(counter.services) if counter else [],
        "current": current,
        "served_today": day.served,
        "average_service_s": day.average_service_s,
    }


def _waited(row: LobbyTicket) -> int | None:
    called = row.first_called_at
    return int((called - row.issued_at).total_seconds()) if called else None


# --- lobby manager ------------------------------------------------------------------------


@router.get("/api/v1/lobby/outlets/{outlet}/dashboard", summary="The lobby manager's dashboard")
def dashboard_json(
    outlet: str,
    request: Request,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = service.outlet_for(session, staff_operator(principal), outlet)
    now = utcnow()
    board = dashboard.dashboard(session, unit, now)
    level = board.level
    shares = board.ratings
    body = snapshot_json(board.snapshot)
    for item in body["counters"]:
        since = board.idle_since.get(item["number"])
        item["idle_s"] = int((now - since).total_seconds()) if since else None
    body.update(
        {
            "service_level": {
                "window_min": int(dashboard.WINDOW.total_seconds() // 60),
                "target_s": level.target_s,
                "called": level.called,
                "within": level.within,
                "still_waiting_over": level.still_waiting_over,
                "share": level.share,
            },
            "alerts": board.alerts,
            "advice": _advice_json(session, unit, now, request),
            "ratings": {
                "served": shares.served,
                "prompted": shares.prompted,
                "answered": shares.answered,
                "dissatisfied": shares.dissatisfied,
                "prompted_share": shares.prompted_share,
                "answered_share": shares.answered_share,
            },
        }
    )
    return body


def _advice_json(session: Session, unit: Any, now: dt.datetime, request: Request) -> dict[str, Any]:
    """The advice standing now (translated), and how much advice was taken today."""
    _ = translator(request_language(request))
    board = ports.advice()
    current = board.standing(session, unit.id)
    day_start = layouts.layout(session, unit).policy.business_day_start(now)
    given, acted = board.taken_since(session, unit.id, day_start)
    standing = None
    if current is not None:
        standing = {
            "action": current.action,
            "text": _(current.reason).format(**current.params),
            "counter": current.counter_number,
            "since": current.given_at.isoformat(),
            "acted": current.acted,
        }
    return {"current": standing, "given_today": given, "acted_today": acted}


@router.post(
    "/api/v1/lobby/outlets/{outlet}/alerts/{alert_id}/acknowledge",
    summary="The lobby manager has seen to an alert",
)
def acknowledge_alert(
    outlet: str,
    alert_id: int,
    principal: Principal = require(Permission.LOBBY_MANAGE),
    session: Session = DbSession,
) -> dict[str, Any]:
    alert = rating.acknowledge(session, staff_operator(principal), outlet, alert_id, utcnow())
    return {"alert_id": alert.id, "acknowledged_at": alert.acknowledged_at}


@router.put(
    "/api/v1/lobby/outlets/{outlet}/counters/{number}/services",
    summary="Change which services a counter calls (lobby manager)",
)
def set_counter_services(
    outlet: str,
    number: int,
    body: ServicesIn,
    principal: Principal = require(Permission.LOBBY_MANAGE),
    session: Session = DbSession,
) -> dict[str, Any]:
    result = counters.set_services(
        session, staff_operator(principal), outlet, number, body.services, utcnow()
    )
    return counter_json(result)


@router.get(
    "/api/v1/lobby/outlets/{outlet}/staff",
    summary="Staff of the outlet, for signing a teller on and for paging second-line staff",
)
def outlet_staff(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_MANAGE),
    session: Session = DbSession,
) -> list[dict[str, Any]]:
    unit = service.outlet_for(session, staff_operator(principal), outlet)
    people, at_counter = staff_queries.outlet_staff(session, unit.id)
    return [
        {
            "id": s.id,
            "username": s.username,
            "name": s.display_name,
            "roles": [r.value for r in s.roles],
            "may_work_counter": Permission.LOBBY_OPERATE in s.permissions,
            "at_counter": at_counter.get(s.id),
            "has_mobile": bool(s.mobile),
        }
        for s in people
    ]


@router.post(
    "/api/v1/lobby/outlets/{outlet}/pages",
    status_code=201,
    summary="Page second-line staff (a notification through the outbox)",
)
def page_second_line(
    outlet: str,
    body: PageIn,
    principal: Principal = require(Permission.LOBBY_MANAGE),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = service.outlet_unit_for(session, staff_operator(principal), outlet)
    now = utcnow()
    ids = notify.page_staff(
        session,
        principal.actor,
        unit=unit,
        recipient_ids=body.staff,
        message=body.message,
        now=now,
        channels=body.channels,
        sms_too=body.sms_too,
    )
    events.emit(
        session,
        unit.id,
        "staff_paged",
        now,
        staff_id=principal.id,
        data={"recipients": len(set(body.staff)), "messages": len(ids)},
    )
    return {"messages": ids}
