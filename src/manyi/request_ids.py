"""The id of the request being served, for logs and the audit chain.

The web app's observe middleware (`manyi.observe.middleware`) sets it for each request: the
proxy's own id when it sent a sane one in `X-Request-ID`, else a new one. It lives here, below
every feature, so that `audit.record` can stamp its events with it without knowing the web.
A context variable follows the request into the thread pool that runs sync endpoints
(Starlette copies the context), so a use case run for a request sees that request's id; a
worker job or a command sees none ("").
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What an id from outside may look like: a proxy's hex id (nginx's $request_id), a UUID, a
# trace id. Anything else (too long, spaces, quotes, newlines: a log injection) is replaced.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_current: ContextVar[str] = ContextVar("manyi_request_id", default="")


def current() -> str:
    """The id of the request this code runs for, or "" outside a request."""
    return _current.get()


def adopt(incoming: str | None) -> str:
    """The id to use for a request: the incoming one when it is sane, else a new one."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


def set_current(request_id: str) -> object:
    """Make `request_id` the current one; returns the token `reset` takes."""
    return _current.set(request_id)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
