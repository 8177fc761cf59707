"""Each request: its id, its count and latency per route template, its access line.

An ASGI middleware (not Starlette's BaseHTTPMiddleware, which would buffer the screens' event
streams). The id is the proxy's `X-Request-ID` when sane (`manyi.request_ids.adopt`), else a
new one; it is answered in the same header, written on every JSON log line and stamped on the
audit events the request appends. The route label is the template the router matched
(`/complaints/{case_id}`), taken from the scope after the app answered.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from manyi import request_ids
from manyi.log_lines import FIELDS
from manyi.observe import metrics

access_log = logging.getLogger("manyi.access")


def route_label(scope: Scope) -> str:
    """The template of the route that answered: never the raw path (ids, tokens)."""
    route: Any = scope.get("route")
    if route is None:
        return metrics.UNMATCHED
    template = getattr(route, "metrics_path", None)  # a route that picks its own (device lane)
    if callable(template):
        return str(template(scope))
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return metrics.UNMATCHED
    return path.rstrip("/") + "/{path}" if isinstance(route, Mount) else path


class ObserveRequests:
    def __init__(self, app: ASGIApp, *, access_lines: bool) -> None:
        self.app = app
        self.access_lines = access_lines  # JSON mode: uvicorn's text access log is off

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_ids.adopt(Headers(scope=scope).get(request_ids.HEADER))
        token = request_ids.set_current(request_id)
        started = time.perf_counter()
        status = 500
        streaming = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers[request_ids.HEADER] = request_id
                streaming = headers.get("content-type", "").startswith("text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_label(scope)
            method = str(scope.get("method", ""))
            metrics.observe_request(method, route, status, None if streaming else seconds)
            if self.access_lines:
                access_line(scope, method, route, status, seconds)
        # Reset only when the app answered: an unhandled error goes on to Starlette's outermost
        # handler (web/app.py `_unexpected`), which logs the traceback and answers 500 outside
        # this middleware, and still sees the id (each request runs in a context of its own).
        request_ids.reset(token)


def access_line(
    scope: Scope, method: str, route: str, status: int, seconds: float, client: str | None = None
) -> None:
    """The request's JSON access line. `client`: its address when the scope's is a proxy's."""
    if client is None:
        peer = scope.get("client")
        client = peer[0] if peer else ""
    state = scope.get("state") or {}
    principal = state.get("principal")
    fields = {
        "event": "request",
        "method": method,
        "route": route,  # the template: no ids, tokens or query strings
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "client": client,
    }
    if principal is not None:
        fields["staff_id"] = principal.id
    access_log.info("%s %s %s", method, route, status, extra={FIELDS: fields})
