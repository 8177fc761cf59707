"""No record has an id past the database's integer range: a path that names one is not found.

FastAPI reads `/complaints/99999999999999999999` as a Python int, which the database driver then
cannot bind (SQLite: OverflowError; PostgreSQL: numeric value out of range), and the request
would end in a server error. This middleware answers 404 for any path segment of digits past
`DB_ID_MAX` before routing; the app's handler for OverflowError covers any number that reaches
the driver another way.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from manyi.parsing import DB_ID_MAX


class OversizedIdGuard:
    def __init__(self, app: ASGIApp, not_found: ASGIApp) -> None:
        self.app = app
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(_past_range(part) for part in scope["path"].split("/")):
            await self.not_found(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _past_range(part: str) -> bool:
    """A path segment that is a whole number (signed) no id column can hold."""
    digits = part[1:] if part.startswith("-") else part
    if not (digits.isascii() and digits.isdigit()):
        return False
    return len(digits) > 10 or not -DB_ID_MAX - 1 <= int(part) <= DB_ID_MAX
