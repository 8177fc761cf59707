"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
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

from manyi import __version__, request_ids
from manyi.config import Settings
from manyi.counter.adapters import registry as counter_runtime
from manyi.db import UNAVAILABLE_ERRORS, Database, DataError, database_away
from manyi.errors import ManyiError
from manyi.observe import tracing
from manyi.observe.middleware import ObserveRequests
from manyi.stream import live as stream_live
from manyi.web.body_limit import BodyLimitMiddleware, BodyTooLarge
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
    size_units_of_work,
)
from manyi.web.templating import render
from manyi.web.wiring import add_device_lane, body_caps, install_routes, plug_features

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


def configure_process(settings: Settings) -> None:
    """What the app sets up for its whole process rather than for itself: the screens' fan-out
    (MANYI_REALTIME=nats), the counter's core, readers and PIN pads, and the features' ports."""
    stream_live.register()
    size_units_of_work(settings.unit_of_work_threads)
    counter_runtime.start(settings.counter_adapters)
    plug_features(settings)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="manyi 满意",
        version=__version__,
        docs_url=None,  # served below from local assets, never a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        # FastAPI's own OpenTelemetry hooks stay off: manyi traces through observe.tracing
        # (MANYI_TRACING) and counts through /metrics; left on, they ask on every request
        # whether a provider is set (issue 22) and would trace each request twice.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    configure_process(settings)
    app.state.db = database or Database(
        settings.database_url, settings.session_info, shared_with_processes=settings.web_workers > 1
    )
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
    # The lobby's devices: in front of everything (or, traced, inside the trace, id and metrics).
    add_device_lane(app, settings, proxies)
    # The request's id, count, latency and access line; inside it, its trace (off by default).
    tracing.install(app, settings.tracing)
    app.add_middleware(ObserveRequests, access_lines=settings.log_format == "json")
    app.add_middleware(TrustedProxies, networks=proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    install_routes(app)
    # What is loaded by now (manyi, its libraries, the app) stays for the process: frozen, the
    # cyclic garbage collector stops walking its 450,000 objects on each full collection. A
    # page that allocates much (the head-office cockpit: thousands of rows) set one off every
    # few requests, 160–210 ms each (measured with gc.callbacks); reference counting still
    # frees what requests drop.
    gc.collect()
    gc.freeze()
    return app


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
        response = error_response(request, 500, _("Something went wrong. The error was logged."))
        if request_ids.current():  # answered outside the observe middleware: its id too
            response.headers[request_ids.HEADER] = request_ids.current()
        return response


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
