"""The device lane: a kiosk's ticket, a calling pad's call-next and complete, answered before
the app's other layers (issue 22).

These three requests are most of what a lobby sends, and the app's per-request work around
them (five middleware layers, FastAPI's routing and dependency solving, validating the body
through its field machinery) cost more than the SQL they run. The lane stands in front of the
whole app (`front`; or, when requests are traced, just inside the trace, the request's id,
metrics and access line and the trusted-proxy address): it takes such a request when it is
ordinary (a device token this process accepted moments ago, in the Authorization header; no
cookie; a small JSON body its model accepts) and runs the same use case the endpoint in
`api.py` runs, in one lean unit of work (`web.security.in_hot_unit_of_work`), answering the
same JSON with the same security headers. Anything else (no token or one not seen
lately, a cookie, a body that is large, unsized or does not validate) goes on through the whole
app with the body as it came, so refusals and their messages are the endpoint's own.

What the layers it passes by would have done, it does itself:

- in front (`Front`): the request's id (the proxy's `X-Request-ID` when sane, else a new one;
  answered in the same header, current while the unit runs), its count and latency under its
  route's template, its JSON access line with the client's address behind trusted proxies, and
  the catch-all: an error no handler takes is answered by the app's own (500, logged);
- the body: read only when its declared length is within `MAX_BODY` (else the app's own cap
  answers);
- the security headers (`web.headers.HEADERS`) on every answer;
- the app's exception handlers: a domain error, the database away, a refused value raised by
  the use case answer exactly as from the endpoint. An error with no handler of its own goes
  out to the outermost layer (inside the app), which answers 500 and logs it, as before.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from manyi import request_ids
from manyi.db import Session
from manyi.lobby import counters
from manyi.lobby.web import api
from manyi.lobby.web.schemas import ActionIn, IssueIn
from manyi.org.device_tokens import recall_device
from manyi.org.tables import DeviceToken
from manyi.web.headers import HEADERS
from manyi.web.proxies import Network, client_behind
from manyi.web.security import in_hot_unit_of_work

ISSUE_PATH = "/device/api/v1/lobby/tickets"
PAD_PREFIX = "/device/api/v1/lobby/counters/"
PAD_ACTIONS = ("call-next", "complete")
MAX_BODY = 4096  # a kiosk's or pad's body is a few dozen bytes
_JSON = b"application/json"
_JSON_TYPE = "application/json"
_SECURITY_HEADERS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]

Work = Callable[[Session], dict[str, Any]]
Handler = Callable[[Request, Exception], Any]
M = TypeVar("M", bound=BaseModel)


_ID_HEADER = request_ids.HEADER.lower().encode("latin-1")


Count = Callable[[str, str, int, float | None], None]  # method, route, status, seconds
Access = Callable[[Scope, str, str, int, float, str], None]  # ... and the client's address


@dataclass(frozen=True)
class Front:
    """What the lane does in front of the app (the module), with the app's own means (the lobby
    does not import `observe`: the app hands them in): `count` a request under its route;
    `access` its access line (None: JSON logs off), the client's address told by `proxies`."""

    count: Count
    access: Access | None = None
    proxies: tuple[Network, ...] = ()


class DeviceLane:
    """The middleware (see the module). `handlers`: the app's exception handlers, the very
    mapping the app fills (`FastAPI.exception_handlers`); `front`: it stands in front of the
    whole app."""

    def __init__(
        self, app: ASGIApp, *, handlers: Mapping[Any, Handler], front: Front | None = None
    ) -> None:
        self.app = app
        self.handlers = handlers
        self.front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _hot(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        # No Content-Length and no chunks: no body (HTTP/1.1). Chunked, large or with a
        # cookie: the whole app.
        length = headers.get(b"content-length", b"" if b"transfer-encoding" in headers else b"0")
        if b"cookie" in headers or not length.isdigit() or int(length) > MAX_BODY:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        token = _bearer_token(headers)
        work = None if token is None else _work(scope["path"], token, headers, body)
        if work is None:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = self  # the template the metrics count it under (metrics_path)
        if self.front is None:
            response = await self._answer(scope, receive, work)
            await response(scope, receive, send)
            return
        request_id = request_ids.adopt(_text(headers.get(_ID_HEADER)))
        current = request_ids.set_current(request_id)
        started = time.perf_counter()
        try:
            response = await self._answer(scope, receive, work)
        except Exception as error:  # the catch-all the outermost layer would have been
            catch_all = self.handlers.get(Exception)
            if catch_all is None:
                raise
            response = _secured(await _handled(catch_all, Request(scope, receive), error))
        if not any(name == _ID_HEADER for name, _ in response.raw_headers):
            response.raw_headers.append((_ID_HEADER, request_id.encode("latin-1")))
        await response(scope, receive, send)
        seconds = time.perf_counter() - started
        route = self.metrics_path(scope)
        self.front.count("POST", route, response.status_code, seconds)
        if self.front.access is not None:
            client = _client(scope, headers, self.front.proxies)
            self.front.access(scope, "POST", route, response.status_code, seconds, client)
        request_ids.reset(current)

    async def _answer(self, scope: Scope, receive: Receive, work: Work) -> Response:
        """The unit's answer, or the app's handler's for the error it raised (with the security
        headers); an error without a handler of its own is raised."""
        request = Request(scope, receive)
        try:
            result = await in_hot_unit_of_work(request, work)
            # The bytes JSONResponse makes (compact, UTF-8), by orjson at a tenth of the cost.
            content = orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS)
            response: Response = Response(content, _status(scope["path"]), media_type=_JSON_TYPE)
        except Exception as error:
            handler = self._handler_for(error)
            if handler is None:
                raise
            response = await _handled(handler, request, error)
        return _secured(response)

    def _handler_for(self, error: Exception) -> Handler | None:
        """The app's handler for `error`'s class or its nearest base, but the catch-all."""
        for cls in type(error).__mro__:
            if cls is Exception:
                return None
            handler = self.handlers.get(cls)
            if handler is not None:
                return handler
        return None

    @staticmethod
    def metrics_path(scope: Scope) -> str:
        """The route template the metrics count this request under (no counter number)."""
        path: str = scope["path"]
        return path if path == ISSUE_PATH else PAD_PREFIX + "{number}/" + path.rsplit("/", 1)[1]


def _secured(response: Response) -> Response:
    present = {name for name, _ in response.raw_headers}
    response.raw_headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
    return response


async def _handled(handler: Handler, request: Request, error: Exception) -> Response:
    response = handler(request, error)
    if inspect.isawaitable(response):
        response = await response
    return response  # type: ignore[no-any-return]


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _client(scope: Scope, headers: Mapping[bytes, bytes], proxies: tuple[Network, ...]) -> str:
    """The client's address for the access line: behind trusted proxies, the one they name."""
    peer = scope.get("client")
    address = peer[0] if peer else ""
    if not proxies or not address:
        return address
    forwarded = _text(headers.get(b"x-forwarded-for")) or ""
    return client_behind(address, forwarded, proxies)


def _hot(path: str) -> bool:
    return path == ISSUE_PATH or (path.startswith(PAD_PREFIX) and _pad_action(path) is not None)


def _status(path: str) -> int:
    return 201 if path == ISSUE_PATH else 200


def _pad_action(path: str) -> tuple[int, str] | None:
    """(counter number, action) of a calling pad's path the lane takes, else None."""
    number, _, action = path[len(PAD_PREFIX) :].partition("/")
    if action in PAD_ACTIONS and number.isdigit() and len(number) <= 6:
        return int(number), action
    return None


async def _read_body(receive: Receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing to answer
            return body
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app, giving the body the lane has read first."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _bearer_token(headers: Mapping[bytes, bytes]) -> DeviceToken | None:
    header = headers.get(b"authorization", b"")
    if header[:7].lower() != b"bearer ":
        return None
    return recall_device(header[7:].strip().decode("latin-1"))


def _parsed(model: type[M], headers: Mapping[bytes, bytes], body: bytes) -> M | None:
    content_type = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
    if content_type != _JSON:
        return None
    try:
        return model.model_validate_json(body)
    except ValidationError:
        return None


def _work(
    path: str, token: DeviceToken, headers: Mapping[bytes, bytes], body: bytes
) -> Work | None:
    """The unit of work for an ordinary request, or None to let the endpoint answer."""
    if path == ISSUE_PATH:
        issue = _parsed(IssueIn, headers, body)
        return None if issue is None else api.kiosk_issue(token, issue)
    found = _pad_action(path)
    if found is None:
        return None
    number, action = found
    if action == "call-next":
        return api.pad_work(counters.call_next, token, number)
    expected = None
    if body:
        given = _parsed(ActionIn, headers, body)
        if given is None:
            return None
        expected = given.ticket_id
    return api.pad_work(counters.complete, token, number, expected)
