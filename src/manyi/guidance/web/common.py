"""What guidance's pages share: who acts, as the use cases take them; a refusal as the page
shows it."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from manyi.errors import ManyiError
from manyi.guidance.access import Who
from manyi.web.i18n import request_language, translator
from manyi.web.security import Principal


def who_of(principal: Principal) -> Who:
    return Who(
        principal.id,
        principal.display_name,
        principal.unit_id,
        principal.unit_path,
        principal.permissions,
        principal.unit_level,
    )


def error_of(request: Request, exc: ManyiError) -> dict[str, Any]:
    """A refusal for the page that shows it again: its message, translated, and its field."""
    _ = translator(request_language(request))
    return {"error": exc.text(_), "field": exc.field}
