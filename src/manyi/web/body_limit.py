"""A cap on the size of a request body, for the few routes that take uploads.

FastAPI parses a form, spooling every file to disk, before it solves any
dependency of the endpoint, so neither a dependency nor the endpoint's own
per-file check can refuse a huge upload cheaply. This middleware wraps the
request's `receive` for the routes given a `BodyCap`:

- a declared `Content-Length` over the cap is refused at the first read, before
  a single byte of the body is taken in;
- a body without one (chunked) is counted as it arrives and refused as soon as
  it passes the cap, so at most the cap's worth is ever spooled.

Either way `BodyTooLarge` (HTTP 413) is raised inside the endpoint's body
parsing, before any dependency or the endpoint runs, and the app's exception
handler shows the cap's message, translated. Nothing is stored. Every other
request that may carry a body gets `DEFAULT_CAP` (1 MB). How many parts a form
may have is Starlette's own limit (1,000 fields and 1,000 files), inside the cap.

A browser still sending a refused upload may see the connection closed before
it reads the answer; that is the price of not reading the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room, beside the files, for the text fields and the multipart framing.
FORM_SLACK_BYTES = 1024 * 1024
# Every other request: the largest form manyi takes is a signature (a PNG of at most 512 KB as
# a data URL, about 700 KB); JSON bodies are far smaller.
DEFAULT_MAX_BYTES = 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class BodyCap:
    """At most `max_bytes` of body for `method` on paths that `path` (a regex) fully matches."""

    method: str
    path: str
    max_bytes: int
    message: str  # a message id, shown translated and filled with `params`
    params: Mapping[str, object] = field(default_factory=dict)
    # Where a browser's form goes back to, filled with the path's named groups (`{id}`), so
    # a refused upload leaves the user on their page with the message rather than on a bare
    # error page. None: the error page (and JSON for API clients) as before.
    back: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None

    def back_url(self, path: str) -> str | None:
        found = re.fullmatch(self.path, path)
        if self.back is None or found is None:
            return None
        return self.back.format(**found.groupdict())


class BodyTooLarge(HTTPException):
    """The body passed its cap. A FastAPI HTTPException, so body parsing lets it through."""

    def __init__(self, cap: BodyCap) -> None:
        super().__init__(status_code=413, detail="Content Too Large")
        self.cap = cap


DEFAULT_CAP = BodyCap(
    "*",
    ".*",
    DEFAULT_MAX_BYTES,
    "The request is too large: at most {mb} MB.",
    {"mb": DEFAULT_MAX_BYTES // (1024 * 1024)},
)


class BodyLimitMiddleware:
    """Caps every request body before anything parses it: the route's own cap (uploads), or
    `DEFAULT_CAP` for every other request that may carry a body (an anonymous POST to /signin
    included)."""

    def __init__(self, app: ASGIApp, caps: Sequence[BodyCap]) -> None:
        self.app = app
        self.caps = tuple(caps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cap = None
        if scope["type"] == "http":
            cap = next((c for c in self.caps if c.matches(scope["method"], scope["path"])), None)
            if cap is None and scope["method"] in BODY_METHODS:
                cap = DEFAULT_CAP
        if cap is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared > cap.max_bytes:
                raise BodyTooLarge(cap)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.max_bytes:
                    raise BodyTooLarge(cap)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isdigit() else None
