"""The FastAPI application factory."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from manyi import __version__
from manyi.complaints import ports as complaint_ports
from manyi.config import Settings
from manyi.counter.adapters import registry as counter_runtime
from manyi.db import UNAVAILABLE_ERRORS, Database, DataError, Session, database_away
from manyi.errors import ManyiError
from manyi.stream import live as stream_live
from manyi.web.body_limit import BodyCap, BodyLimitMiddleware, BodyTooLarge
from manyi.web.headers import SecurityHeaders
from manyi.web.i18n import request_language, translator
from manyi.web.id_guard import OversizedIdGuard
from manyi.web.proxies import TrustedProxies, parse_networks
from manyi.web.security import (
    CsrfFailed,
    DeviceDenied,
    MachineDenied,
    NotSignedIn,
    PermissionDenied,
)
from manyi.web.templating import render

STATIC_DIR = Path(__file__).parent / "static"
# The machine-readable `error` of a JSON error, when no more precise code is known.
_CODES = {
    400: "bad_request",
    401: "sign_in_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
# While the database is away, requests answer 503 with this Retry-After (seconds); the lobby's
# screens retry on their own with a back-off from it, pages reload themselves after it.
RETRY_AFTER_S = 5
log = logging.getLogger("manyi.web")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith(("/api/", "/device/api/"))
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>manyi API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api_docs.js"></script></body></html>
"""


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    _ = translator(request_language(request))
    await error_response(request, 404, _("Page not found."))(scope, receive, send)


def error_response(
    request: Request, status: int, message: str, field: str = "", code: str = ""
) -> Response:
    _ = translator(request_language(request))
    if wants_json(request):
        body: dict[str, object] = {"error": code or _CODES.get(status, "error"), "message": message}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=status)
    return render(
        request, "error.html", {"status": status, "message": message, "title": _("Error")}, status
    )


def unavailable_response(request: Request) -> Response:
    """503 while the database is away: the unit of work rolled back, so the same request may
    be sent again after Retry-After. (A connection lost during COMMIT itself leaves the
    outcome in doubt: docs/security.md, "Faults and recovery", says how the screens cope.)"""
    _ = translator(request_language(request))
    message = _("Service unavailable, retrying…")
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if wants_json(request):
        body = {"error": _CODES[503], "message": message, "retry_after": RETRY_AFTER_S}
        return JSONResponse(body, status_code=503, headers=headers)
    context = {
        "status": 503,
        "message": message,
        "title": _("Service unavailable"),
        # A GET page reloads itself; a form sent while away is not sent again unasked.
        "refresh_s": RETRY_AFTER_S if request.method in ("GET", "HEAD") else None,
    }
    response = render(request, "error.html", context, 503)
    response.headers.update(headers)
    return response


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="manyi 满意",
        version=__version__,
        docs_url=None,  # served below from local assets, never a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    stream_live.register()  # MANYI_REALTIME=nats: the screens' fan-out over NATS
    app.state.db = database or Database(
        settings.database_url, settings.session_info, shared_with_processes=settings.web_workers > 1
    )
    counter_runtime.start(settings.counter_adapters)  # the counter's core, readers, PIN pads
    plug_features(settings)
    # Inside the session (added first: the last added is outermost), so its page can use it.
    app.add_middleware(OversizedIdGuard, not_found=_not_found)
    app.add_middleware(SecurityHeaders)
    # Outermost: every part of the app sees the client's own address (web/proxies.py).
    proxies = parse_networks(settings.trusted_proxies)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="manyi_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # Refuses an oversized upload while the endpoint starts reading it (web/body_limit.py).
    app.add_middleware(BodyLimitMiddleware, caps=body_caps())
    app.add_middleware(TrustedProxies, networks=proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    _install_routes(app)
    return app


class _FollowUps:
    """Complaints' `FollowUpPort` answered by quality's surveys (the two are independent)."""

    def follow_up(
        self, session: Session, complaint_id: int, now: dt.datetime
    ) -> complaint_ports.FollowUp | None:
        from manyi.quality import followups

        found = followups.complaint_follow_up(session, complaint_id, now)
        if found is None:
            return None
        return complaint_ports.FollowUp(
            found.state,
            found.invited_at,
            found.expires_at,
            found.answered_at,
            found.csat,
            found.resolved,
            found.comment,
        )


def _plug_appointments(public_base_url: str) -> None:
    """Appointments (reach): the staffing plan's capacity per slot from forecasting, the
    kiosk's check-in behind the lobby's port, the messages through reach's outbox, and the
    appointments card on the dashboard."""
    from manyi.forecast.appointment_capacity import PlannedCapacity
    from manyi.lobby import ports as lobby_ports
    from manyi.lobby.web import cards
    from manyi.reach import appointment_ports
    from manyi.reach.appointment_checkin import KioskCheckIn
    from manyi.reach.appointment_messages import OutboxNotices
    from manyi.reach.web.appointments_staff import dashboard_card

    appointment_ports.register_capacity(PlannedCapacity())
    appointment_ports.register_notices(OutboxNotices(public_base_url))
    lobby_ports.register_appointment_check_in(KioskCheckIn())
    cards.register(
        cards.DashboardCard(
            name="appointments",
            template="appointments/dashboard_card.html",
            build=dashboard_card,
            stylesheet="/static/css/appointments.css",
        )
    )


def _plug_workload(settings: Settings | None) -> None:
    """Teller workload: break advice checked by forecasting's simulator, and the overload card
    on the lobby dashboard (workload sits above the lobby, the counter and forecasting)."""
    from manyi.forecast.break_check import SimulatedBreaks
    from manyi.lobby.web import cards
    from manyi.workload import ports as workload_ports
    from manyi.workload.web.card import dashboard_card

    workload_ports.register_break_check(SimulatedBreaks())
    cards.register(
        cards.DashboardCard(
            name="workload",
            template="workload/dashboard_card.html",
            build=dashboard_card(settings),
            stylesheet="/static/css/workload.css",
        )
    )


def plug_features(settings: Settings | None = None) -> None:
    """Wire features into each other's ports and hooks: the lobby knows neither forecasting
    (its wait predictor and advice, `lobby.ports`), nor quality (its surveys), nor supervision
    (the teller's badge), nor the counter (its dashboard card); complaints do not know
    supervision (a complaint's rectification tasks, `complaints.ports`) nor quality (the 回访
    survey's answer on the case page)."""
    from manyi import visit_adapters
    from manyi.complaints import clock as complaints_clock
    from manyi.counter import ports as counter_ports
    from manyi.counter.web.measures import dashboard_card
    from manyi.forecast import lobby_adapters
    from manyi.insight import complaints_adapters as insight_complaints
    from manyi.lobby import ports as lobby_ports
    from manyi.lobby.web import cards
    from manyi.quality import lobby_adapters as quality_adapters
    from manyi.quality import ports as quality_ports
    from manyi.quality.counter_adapters import BundleSurveys
    from manyi.reach.complaint_notices import ComplaintNotices
    from manyi.reach.queue_alerts import QueueAlerts
    from manyi.reach.survey_messages import SurveyMessages
    from manyi.supervision import complaints_adapters as supervision_complaints
    from manyi.supervision import lobby_adapters as supervision_adapters
    from manyi.workdays import calendars as workdays_calendars

    lobby_adapters.register()
    _plug_workload(settings)
    _plug_appointments(settings.public_base_url if settings else "")
    supervision_adapters.register()  # the teller's badge and star progress
    supervision_complaints.register()  # a complaint's rectification tasks, on its case page
    # A newly entered year moves open working-day deadlines: the deadline scan recomputes them.
    workdays_calendars.on_change(complaints_clock.recheck_working_days)
    complaint_ports.register_follow_up(_FollowUps())  # a closed complaint's 回访 (quality)
    # Suggested classification of new complaints (the classifier); a production process loads
    # its libraries in the background at start, not in its first complainant's request.
    insight_complaints.register(warm=settings is not None and settings.is_production)
    expiry = settings.survey_expiry_days if settings else 7
    quality_adapters.register(expiry)
    # Complainants who agreed get "received" and "decided" by text message (customer reach).
    complaint_ports.register_customer_notices(
        ComplaintNotices(settings.public_base_url if settings else "")
    )
    # Waiting customers may ask for text-message alerts on their status page (customer reach).
    lobby_ports.register_ticket_alerts(QueueAlerts())
    # Survey invitations also go as a text message to customers who agreed (customer reach).
    quality_ports.register_messages(
        SurveyMessages(
            settings.zone if settings else ZoneInfo("Asia/Shanghai"),
            settings.public_base_url if settings else "",
        )
    )
    # Visits tell the family the date (reach) and invite the customer to a survey (quality).
    visit_adapters.register(settings.zone if settings else ZoneInfo("Asia/Shanghai"), expiry)
    counter_ports.register_survey_links(
        BundleSurveys(expiry, settings.public_base_url if settings else "")
    )
    cards.register(
        cards.DashboardCard(
            name="counter",
            template="counter/dashboard_card.html",
            build=dashboard_card,
            stylesheet="/static/css/counter.css",
        )
    )


def body_caps() -> list[BodyCap]:
    """The routes that take uploads, each with the largest request it reads; every other
    request has the default cap (web/body_limit.py)."""
    from manyi.complaints.web.public import FORM_CAP
    from manyi.complaints.web.side_actions import ATTACH_CAP
    from manyi.org.web.units import IMPORT_CAP
    from manyi.reach.web.wechat import CALLBACK_CAP
    from manyi.special.web.onsite import PHOTO_CAP as VISIT_PHOTO_CAP
    from manyi.supervision.web.rectification_task import SUBMIT_CAP
    from manyi.supervision.web.scorecard_page import PHOTO_CAP

    return [FORM_CAP, ATTACH_CAP, IMPORT_CAP, SUBMIT_CAP, PHOTO_CAP, VISIT_PHOTO_CAP, CALLBACK_CAP]


def _install_routes(app: FastAPI) -> None:
    from manyi.audit.views import router as audit_router
    from manyi.cockpit.web.pages import router as cockpit_views
    from manyi.complaints.web.public import router as complaints_public
    from manyi.complaints.web.public_status import router as complaints_status
    from manyi.complaints.web.workbench import router as complaints_views
    from manyi.counter.web.prefill_phone import router as counter_public
    from manyi.counter.web.routes import router as counter_views
    from manyi.insight.web.analysis_page import router as insight_analysis
    from manyi.insight.web.classifier import router as insight_classifier
    from manyi.insight.web.opinions import router as insight_opinions
    from manyi.insight.web.routes import router as insight_views
    from manyi.lobby.web.api import device_router as lobby_device_api
    from manyi.lobby.web.api import router as lobby_api
    from manyi.lobby.web.appointment_checkin import router as lobby_appointment_checkin
    from manyi.lobby.web.config_api import router as lobby_config_api
    from manyi.lobby.web.pages import router as lobby_views
    from manyi.lobby.web.public_api import router as lobby_public_api
    from manyi.lobby.web.screens_api import router as lobby_screens_api
    from manyi.lobby.web.settings import router as lobby_settings
    from manyi.notify.views import router as notify_views
    from manyi.org.api import router as org_api
    from manyi.org.web import router as org_views
    from manyi.quality.web.flags_page import router as quality_flags
    from manyi.quality.web.pages import router as quality_views
    from manyi.quality.web.survey_admin import router as quality_survey_admin
    from manyi.quality.web.survey_page import router as quality_survey
    from manyi.reach.web.appointments import router as appointment_pages
    from manyi.reach.web.appointments_api import router as appointment_api
    from manyi.reach.web.appointments_rules import router as appointment_rules_page
    from manyi.reach.web.appointments_staff import api_router as appointment_rules_api
    from manyi.reach.web.appointments_staff import router as appointment_staff
    from manyi.reach.web.messages import router as reach_messages
    from manyi.reach.web.wechat import router as reach_wechat
    from manyi.special.web.pages import router as special_views
    from manyi.supervision.web.routes import router as supervision_views
    from manyi.web.shell import router as shell_router
    from manyi.workdays.web.pages import router as workdays_views
    from manyi.workload.web.pages import router as workload_views
    from manyi.workload.web.pulse_page import router as workload_pulse

    app.include_router(lobby_device_api)  # first: the busiest routes match soonest
    app.include_router(shell_router)
    app.include_router(org_views)
    app.include_router(audit_router)
    app.include_router(org_api)
    app.include_router(lobby_api)
    app.include_router(lobby_public_api)
    app.include_router(lobby_config_api)
    app.include_router(lobby_screens_api)
    app.include_router(lobby_views)
    app.include_router(lobby_settings)
    app.include_router(notify_views)
    app.include_router(complaints_public)
    app.include_router(complaints_status)
    app.include_router(complaints_views)
    app.include_router(counter_public)
    app.include_router(counter_views)
    app.include_router(quality_views)
    app.include_router(cockpit_views)
    app.include_router(insight_analysis)
    app.include_router(quality_survey)
    app.include_router(quality_survey_admin)
    app.include_router(quality_flags)
    app.include_router(supervision_views)
    app.include_router(workdays_views)
    app.include_router(insight_opinions)
    app.include_router(insight_classifier)
    app.include_router(insight_views)
    app.include_router(lobby_appointment_checkin)
    app.include_router(appointment_rules_api)  # before /api/v1/appointments/{token}
    app.include_router(appointment_api)
    app.include_router(appointment_pages)
    app.include_router(appointment_staff)
    app.include_router(appointment_rules_page)
    app.include_router(reach_messages)
    app.include_router(reach_wechat)
    app.include_router(special_views)
    app.include_router(workload_views)
    app.include_router(workload_pulse)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from local files, started by a script file (no inline script: headers.py).
        return HTMLResponse(API_DOCS_PAGE)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"error": "sign_in_required", "message": "sign-in required"}, status_code=401
            )
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/signin?next={_quote(target)}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> Response:
        _ = translator(request_language(request))
        return error_response(request, 403, _("You do not have permission to open this page."))

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        _ = translator(request_language(request))
        return error_response(
            request,
            403,
            _("The form expired or did not come from manyi. Reload the page and try again."),
            code="csrf_failed",
        )

    @app.exception_handler(DeviceDenied)
    async def _device(request: Request, exc: DeviceDenied) -> Response:
        if not wants_json(request) and request.method == "GET":
            return RedirectResponse("/device/pair", status_code=303)  # pair this screen first
        return JSONResponse({"error": "device_denied", "message": exc.reason}, status_code=401)

    @app.exception_handler(MachineDenied)
    async def _machine(request: Request, exc: MachineDenied) -> Response:
        # Said to a machine: a short plain text; the reason goes to the log, not the caller.
        log.warning("refused %s %s: %s", request.method, request.url.path, exc.reason)
        return PlainTextResponse("forbidden", status_code=403)

    @app.exception_handler(ManyiError)
    async def _domain(request: Request, exc: ManyiError) -> Response:
        _ = translator(request_language(request))
        return error_response(request, exc.status_code, exc.text(_), exc.field, exc.error_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc)
        message = f"{field}: {first.get('msg', 'invalid input')}" if field else "invalid input"
        return error_response(request, 422, message, field)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        back = exc.cap.back_url(request.url.path)
        if back is not None and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(back, status_code=303)
        _ = translator(request_language(request))
        return error_response(request, 413, _(exc.cap.message).format(**exc.cap.params))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        _ = translator(request_language(request))
        message = _("Page not found.") if exc.status_code == 404 else str(exc.detail)
        return error_response(request, exc.status_code, message)

    @app.exception_handler(DataError)
    async def _refused_value(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a number past its integer range, on PostgreSQL):
        # the request's fault, said as such; nothing was stored (the unit of work rolled back).
        _ = translator(request_language(request))
        return error_response(request, 422, _("A value is out of the range manyi accepts."))

    async def _database_error(request: Request, exc: Exception) -> Response:
        # The database away (down, restarting, cut off, no connection free): 503 and Retry-After.
        # Any other database error is a fault of manyi's and answers 500 (db.database_away).
        if database_away(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            return unavailable_response(request)
        return await _unexpected(request, exc)

    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _database_error)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # A number past what the database holds names nothing there (see web/id_guard.py).
        _ = translator(request_language(request))
        return error_response(request, 404, _("Page not found."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        _ = translator(request_language(request))
        return error_response(request, 500, _("Something went wrong. The error was logged."))


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint of the app, including those of included routers.

    Newer FastAPI versions keep included routers as one entry each; walk
    into them so tests can see every route.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from api_routes(list(nested.routes))


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
