"""The device lane: a kiosk's ticket, a calling pad's call-next and complete, past FastAPI's
routing and dependency solving (issue 22).

These three requests are most of what a lobby sends, and FastAPI's per-request work (walking
the routers, solving the dependencies, validating the body through its field machinery) cost
more than the SQL they run. The lane is the first route of the app: it takes such a request
when it is ordinary (a device token this process accepted moments ago, in the Authorization
header; a body its model accepts) and runs the same use case the endpoint in `api.py` runs,
in one unit of work on a worker thread, answering the same JSON. Anything else (no token or
one not seen lately, a pairing cookie, a body that does not validate) goes on to the endpoint
itself with the body as it came, so refusals and their messages are the endpoint's own.

The lane sits inside the middleware (proxies, body limits, security headers, the id guard)
and inside the app's exception handlers: a domain error, the database away, a conflict raised
by the use case answer exactly as from the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Message, Receive, Scope, Send

from manyi.db import Session
from manyi.lobby import counters
from manyi.lobby.web import api
from manyi.lobby.web.schemas import ActionIn, IssueIn
from manyi.org.device_tokens import recall_device
from manyi.org.tables import DeviceToken
from manyi.web.security import in_unit_of_work

ISSUE_PATH = "/device/api/v1/lobby/tickets"
PAD_PREFIX = "/device/api/v1/lobby/counters/"
PAD_ACTIONS = ("call-next", "complete")
_PASSED = "manyi.device_lane.passed"  # set on a request the lane hands to the endpoint
_JSON = "application/json"

Work = Callable[[Session], dict[str, Any]]
M = TypeVar("M", bound=BaseModel)


class DeviceLane(BaseRoute):
    """The first route: matches the three hot device requests (see the module)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "POST" or _PASSED in scope:
            return Match.NONE, {}
        path: str = scope["path"]
        if path == ISSUE_PATH or (path.startswith(PAD_PREFIX) and _pad_action(path)):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    def metrics_path(self, scope: Scope) -> str:
        """The route template the metrics count this request under (no counter number)."""
        path: str = scope["path"]
        return path if path == ISSUE_PATH else PAD_PREFIX + "{number}/" + path.rsplit("/", 1)[1]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        token = _bearer_token(request)
        work = None if token is None else _work(scope["path"], token, request, body)
        if work is None:
            await _pass_on(scope, receive, send, body)
            return
        status = 201 if scope["path"] == ISSUE_PATH else 200
        result = await in_unit_of_work(request, work)
        await JSONResponse(result, status_code=status)(scope, receive, send)


def _pad_action(path: str) -> tuple[int, str] | None:
    """(counter number, action) of a calling pad's path the lane takes, else None."""
    number, _, action = path[len(PAD_PREFIX) :].partition("/")
    if action in PAD_ACTIONS and number.isdigit() and len(number) <= 6:
        return int(number), action
    return None


def _bearer_token(request: Request) -> DeviceToken | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return recall_device(header[7:].strip())


def _parsed(model: type[M], request: Request, body: bytes) -> M | None:
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != _JSON:
        return None
    try:
        return model.model_validate_json(body)
    except ValidationError:
        return None


def _work(path: str, token: DeviceToken, request: Request, body: bytes) -> Work | None:
    """The unit of work for an ordinary request, or None to let the endpoint answer."""
    if path == ISSUE_PATH:
        issue = _parsed(IssueIn, request, body)
        return None if issue is None else api.kiosk_issue(token, issue)
    found = _pad_action(path)
    if found is None:
        return None
    number, action = found
    if action == "call-next":
        return api.pad_work(counters.call_next, token, number)
    expected = None
    if body:
        given = _parsed(ActionIn, request, body)
        if given is None:
            return None
        expected = given.ticket_id
    return api.pad_work(counters.complete, token, number, expected)


async def _pass_on(scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
    """Route the request again, past the lane, with the body the lane has read."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    scope[_PASSED] = True
    await scope["router"].app(scope, replay, send)
