"""The lobby's pages: kiosk, display board, rating pad (devices), the customer's
status page and printed ticket (public), teller console and dashboard (staff).

Pages render the first state on the server and then follow the lobby's event
stream in the browser (`static/js/lobby/`). A device opens its page after it
has been paired once: `/device/pair` takes the token and keeps it in an
HttpOnly cookie, and `/device` sends each kind of device to its own screen.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from manyi import ratelimit
from manyi.db import Session, utcnow
from manyi.errors import Forbidden, InvalidInput, ManyiError
from manyi.lobby import layouts, ports, public_tickets, queries, rating, service, staff_queries
from manyi.lobby.adapters import printing
from manyi.lobby.outlets import OutletLike
from manyi.lobby.service import Operator
from manyi.lobby.web import cards
from manyi.lobby.web.api import staff_operator
from manyi.lobby.web.public_api import TooManyRequests
from manyi.lobby.web.schemas import status_json
from manyi.org.device_tokens import DeviceAuthError, DeviceKind, authenticate_device
from manyi.org.model import Permission, UnitLevel
from manyi.org.tables import DeviceToken, Staff, Unit
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language, translator
from manyi.web.security import DEVICE_COOKIE, DbSession, Principal, device, public, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_FOR_KIND = {
    DeviceKind.KIOSK.value: "/device/kiosk",
    DeviceKind.DISPLAY.value: "/device/board",
    DeviceKind.RATING_PAD.value: "/device/rating",
    DeviceKind.COUNTER_PAD.value: "/device/pair",  # a hardware pad has no screen of its own
}
TEN_YEARS_S = 10 * 365 * 24 * 3600


def _json(value: Any) -> Markup:
    """JSON for a `<script type="application/json">` block (safe against `</script>`)."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)  # noqa: S704 - escaped above


def _services(session: Session, outlet: OutletLike) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name("en"),
            "prefix": s.prefix,
            "fast_lane": s.fast_lane,
            "skill": s.skill,
        }
        for s in layouts.layout(session, outlet).services.values()
    ]


def _require_kind(token: DeviceToken, kind: DeviceKind) -> None:
    if token.kind != kind.value:
        raise Forbidden("this device is not a {kind}", "device", kind=kind.value)


# --- pairing ---------------------------------------------------------------------------


@router.get("/device/pair")
def pair_form(request: Request, _visitor: Staff | None = public()) -> Response:
    return render(request, "device_pair.html", {"error": ""})


@router.post("/device/pair")
def pair(
    request: Request,
    token: str = Form(""),
    counter: str = Form(""),
    _visitor: Staff | None = public(),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        device_token = authenticate_device(session, token.strip())
    except DeviceAuthError:
        message = _("This device token is not valid. Ask the branch for a new one.")
        return render(request, "device_pair.html", {"error": message}, 400)
    target = PAGE_FOR_KIND[device_token.kind]
    if device_token.kind == DeviceKind.RATING_PAD.value:
        # A pad is bound to its counter when issued; one issued before binding is paired to the
        # counter typed here (and answers for none until issued again).
        bound = device_token.counter_number
        number = bound if bound is not None and not counter.strip() else ascii_int(counter, 1, 999)
        if number is None:
            message = _("A rating pad needs the number of its counter.")
            return render(request, "device_pair.html", {"error": message}, 400)
        if bound is not None and number != bound:
            message = _("This rating pad belongs to counter {n}.").format(n=bound)
            return render(request, "device_pair.html", {"error": message}, 400)
        target = f"{target}/{number}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        DEVICE_COOKIE,
        token.strip(),
        max_age=TEN_YEARS_S,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@router.get("/device")
def device_home(token: DeviceToken = device()) -> Response:
    return RedirectResponse(PAGE_FOR_KIND[token.kind], status_code=303)


# --- kiosk, board, rating pad ------------------------------------------------------------


@router.get("/device/kiosk")
def kiosk_page(
    request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    _require_kind(token, DeviceKind.KIOSK)
    outlet = service.outlet_for(session, Operator.device(token), None)
    policy = layouts.layout(session, outlet).policy
    config = {
        "outlet": {"code": outlet.code, "name_zh": outlet.name_zh, "name_en": outlet.name_en},
        "timezone": outlet.timezone,
        "services": _services(session, outlet),
        "green_confirm": policy.green_confirm,
        "paper": int(request.query_params.get("paper", "80") or 80),
        "print": request.query_params.get("print", "browser"),
    }
    return render(request, "kiosk.html", {"outlet": outlet, "config": _json(config)})


@router.get("/device/board")
def board_page(
    request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    _require_kind(token, DeviceKind.DISPLAY)
    outlet = service.outlet_for(session, Operator.device(token), None)
    policy = layouts.layout(session, outlet).policy
    config = {
        "outlet": {"code": outlet.code, "name_zh": outlet.name_zh, "name_en": outlet.name_en},
        "timezone": outlet.timezone,
        "services": _services(session, outlet),
        "queue_url": "/device/api/v1/lobby/queue",
        "events_url": "/device/api/v1/lobby/events",
        # The board's voices and how long a call stays its big call (docs/lobby-screens.md).
        "voices": {
            "en": policy.announce_en,
            "dialect": policy.announce_dialect,
            "rate": policy.speech_rate_pct / 100,
        },
        "hold_ms": policy.call_hold_s * 1000,
    }
    return render(request, "board.html", {"outlet": outlet, "config": _json(config)})


@router.get("/device/rating/{counter}")
def rating_page(
    counter: int, request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    _require_kind(token, DeviceKind.RATING_PAD)
    operator = Operator.device(token)
    rating.check_pad_counter(operator, counter)
    outlet = service.outlet_for(session, operator, None)
    if not staff_queries.counter_exists(session, outlet.id, counter):
        raise InvalidInput("counter {n} does not exist", "counter", n=counter)
    badge = rating.counter_badge(session, outlet.id, counter, utcnow())
    config = {
        "counter": counter,
        "outlet": {"code": outlet.code, "name_zh": outlet.name_zh},
        "timezone": outlet.timezone,
        "teller": badge,
    }
    return render(
        request,
        "rating_pad.html",
        {"outlet": outlet, "counter": counter, "config": _json(config), "teller": badge},
    )


# --- the customer's ticket -------------------------------------------------------------


@router.get("/t/{token}")
def status_page(
    token: str, request: Request, _: None = public(identify=False), session: Session = DbSession
) -> Response:
    return render(request, "ticket_status.html", _status_context(request, session, token))


def _status_context(request: Request, session: Session, token: str) -> dict[str, Any]:
    found = queries.ticket_status(session, token, utcnow())
    zone = layouts.layout(session, found.outlet).policy.zone
    issued = found.ticket.issued_at.astimezone(zone).strftime("%H:%M")
    status = status_json(found)
    return {
        "status": status,
        "config": _json(status),
        "issued": issued,
        "wait_text": printing.format_wait(
            found.predicted_wait_s,
            _lang(request),
            status["wait_low_s"],
            status["wait_high_s"],
            served=status["served"],
        ),
        "alerts_offered": ports.ticket_alerts().offered(),
        "alerts": request.query_params.get("alerts", ""),
        "error": "",
        "field": "",
        "phone": "",
    }


# One ticket, one customer: a few tries an hour per ticket (never per address: a whole lobby
# may share one Wi-Fi address).
ALERTS_PER_TICKET_HOUR = 5


@router.post("/t/{token}/alerts")
def ask_for_alerts(
    token: str,
    request: Request,
    phone: Annotated[str, Form()] = "",
    agree: Annotated[str, Form()] = "",
    _: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    """The customer asks for text-message alerts while waiting (customer reach, lobby.ports)."""
    now = utcnow()
    try:
        if not ratelimit.hit(
            session, f"ticket-alerts:{token[:64]}", ALERTS_PER_TICKET_HOUR, 3600, now
        ):
            raise TooManyRequests("too many tries for this ticket; please ask the lobby manager")
        if agree != "on":
            raise InvalidInput("tick the box to agree to the text messages", "agree")
        ports.ticket_alerts().subscribe(session, token, phone, request_language(request), now)
    except ManyiError as exc:
        session.rollback()
        context = _status_context(request, session, token)
        words = translator(request_language(request))
        context.update(error=exc.text(words), field=exc.field, phone=phone[:20])
        return render(request, "ticket_status.html", context, exc.status_code)
    return RedirectResponse(f"/t/{quote(token, safe='')}?alerts=on", status_code=303)


def _lang(request: Request) -> printing.Lang:
    return "en" if request_language(request) == "en" else "zh"


@router.get("/t/{token}/print")
def print_view(
    token: str,
    request: Request,
    paper: int = 80,
    autoprint: bool = False,
    _: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    if paper not in (58, 80):
        raise InvalidInput("paper must be 58 or 80 mm", "paper")
    slip = queries.slip_for(
        session, token, utcnow(), base_url=phone_base_url(request), lang=_lang(request)
    )
    return render(
        request,
        "ticket_print.html",
        {
            "slip": slip,
            "qr_svg": Markup(printing.qr_svg(slip.status_url)),  # noqa: S704 - built by us
            "paper": paper,
            "autoprint": autoprint,
        },
    )


def phone_base_url(request: Request) -> str:
    """Where a customer's phone reaches manyi: MANYI_PUBLIC_BASE_URL when the bank set it (the
    kiosk itself may reach the server by an address phones cannot), else the address used."""
    return request.app.state.settings.public_base_url or str(request.base_url)


@router.get("/t/{token}/qr.svg")
def ticket_qr(
    token: str, request: Request, _: None = public(identify=False), session: Session = DbSession
) -> Response:
    public_tickets.latest_leg(session, token)  # 404 for an unknown token
    url = phone_base_url(request).rstrip("/") + f"/t/{token}"
    return Response(printing.qr_svg(url, scale=8), media_type="image/svg+xml")


# --- staff --------------------------------------------------------------------------------


def staff_outlet(session: Session, principal: Principal, outlet: str | None) -> Unit | None:
    """The outlet a staff page is about; None when the user must choose one first."""
    if outlet is None and principal.unit_level != UnitLevel.OUTLET.value:
        return None
    return service.outlet_unit_for(
        session, staff_operator(principal), outlet or principal.unit_code
    )


def choose_outlet(
    request: Request, session: Session, principal: Principal, heading: str
) -> Response:
    outlets = staff_queries.lobby_outlets_in_scope(session, principal.unit_path)
    return render(request, "lobby_choose.html", {"outlets": outlets, "heading": heading})


@router.get("/lobby/console")
def console_page(
    request: Request,
    outlet: str | None = None,
    principal: Principal = require(Permission.LOBBY_OPERATE),
    session: Session = DbSession,
) -> Response:
    unit = staff_outlet(session, principal, outlet)
    if unit is None:
        _ = translator(request_language(request))
        return choose_outlet(request, session, principal, _("Teller console"))
    counters = [
        {
            "number": c.number,
            "kind": c.kind,
            "state": c.state,
            "services": c.services,
            "teller_id": c.teller_id,
        }
        for c in staff_queries.counters(session, unit.id)
    ]
    config = {
        "outlet": unit.code,
        "outlet_name": unit.name_zh,
        "me": principal.id,
        "counters": counters,
        "services": _services(session, unit),
    }
    # The teller's own badge and progress towards a star (supervision, through a port).
    badges = ports.teller_badges()
    context = {
        "outlet": unit,
        "config": _json(config),
        "badge": badges.badge(session, principal.id, utcnow()),
        "progress": badges.progress(session, principal.id, utcnow()),
    }
    return render(request, "console.html", context)


@router.get("/lobby/dashboard")
def dashboard_page(
    request: Request,
    outlet: str | None = None,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> Response:
    unit = staff_outlet(session, principal, outlet)
    if unit is None:
        _ = translator(request_language(request))
        return choose_outlet(request, session, principal, _("Lobby dashboard"))
    config = {
        "outlet": unit.code,
        "outlet_name": unit.name_zh,
        "services": _services(session, unit),
        "manage": principal.can(Permission.LOBBY_MANAGE),
        "now": dt.datetime.now(dt.UTC).isoformat(),
    }
    return render(
        request,
        "lobby_dashboard.html",
        {
            "outlet": unit,
            "config": _json(config),
            "cards": cards.shown(session, principal, unit),
            # The pre-fill poster's QR code needs the address phones reach manyi at.
            "poster_ready": bool(request.app.state.settings.public_base_url),
        },
    )
