"""What the admin forms share: whole numbers typed in a form (`parse_int`, `int_or_none`),
decimal numbers (`parse_float`), the search box of a list (`matching`), and the form shown
again with its error (`form_failed`).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.web.i18n import request_language, translator
from manyi.web.templating import render


def form_failed(
    request: Request, session: Session, template: str, context: dict[str, Any], exc: ManyiError
) -> Response:
    """Undo the attempt and show `template` again with the error next to its field."""
    session.rollback()
    _ = translator(request_language(request))
    context.update(error=exc.text(_), field=exc.field)
    return render(request, template, context, status_code=exc.status_code)


def parse_int(value: str, field: str, default: int | None = None) -> int | None:
    """A whole number typed in `field` ("1,200" too); `default` when empty."""
    value = value.strip().replace(",", "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("{name} must be a whole number", field, name=field) from None


def parse_float(value: str, field: str, message: str = "{name} must be a number") -> float | None:
    """A decimal number typed in `field` (a coordinate); None when empty; refused with
    `message` (which may name the field as {name})."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(message, field, name=field) from None
    if not math.isfinite(number):
        raise InvalidInput(message, field, name=field)
    return number


def matching(items: list[Any], q: str, *attrs: str) -> list[Any]:
    """The items with `q` in one of `attrs`, ignoring case; all of them for an empty `q`."""
    q = q.strip().lower()
    if not q:
        return items
    return [i for i in items if any(q in str(getattr(i, a) or "").lower() for a in attrs)]


def int_or_none(value: str) -> int | None:
    """The number to show back in a form that failed; None when it was not one."""
    try:
        return int(value)
    except ValueError:
        return None
