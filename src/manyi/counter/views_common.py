"""What every staff page of the counter shares: the clerk, error text, labels, rendering."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from manyi.counter.access import Clerk
from manyi.errors import ManyiError, Term
from manyi.org.model import UnitLevel
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import Principal
from manyi.web.templating import render

__all__ = ["clerk_of", "error_text", "level_labels", "local", "page", "state_labels"]


def clerk_of(principal: Principal) -> Clerk:
    """The services' view of the signed-in staff member."""
    return Clerk(
        staff_id=principal.id,
        name=principal.display_name,
        unit_id=principal.unit_id,
        unit_path=principal.unit_path,
        unit_level=UnitLevel(principal.unit_level),
        permissions=principal.permissions,
    )


def state_labels(_: Translate) -> dict[str, str]:
    """A bundle's state as the teller and the supervisor read it."""
    return {
        "draft": _("Waiting for the customer's confirmation"),
        "confirmed": _("Confirmed by the customer"),
        "identity_checked": _("Identity checked"),
        "awaiting_authorisation": _("Waiting for authorisation"),
        "authorised": _("Authorised"),
        "rejected": _("Authorisation refused"),
        "interrupted": _("Interrupted: retry"),
        "done": _("All items done"),
        "partial": _("Partly done"),
        "failed": _("Nothing done"),
        "signed": _("Signed by the customer"),
        "archived": _("E-voucher archived"),
        "cancelled": _("Cancelled"),
    }


def level_labels(_: Translate) -> dict[str, str]:
    return {
        "none": _("No authorisation"),
        "supervisor": _("Supervisor authorisation"),
        "remote": _("Remote authorisation centre"),
    }


def local(at: dt.datetime | None, zone: str | ZoneInfo, fmt: str = "%H:%M:%S") -> str:
    """A stored UTC time in the outlet's zone; empty when there is none."""
    if at is None:
        return ""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return at.astimezone(tz).strftime(fmt)


def error_text(request: Request, exc: ManyiError) -> str:
    """A service's refusal in the page's language."""
    _ = translator(request_language(request))
    labels = state_labels(_)
    params: dict[str, Any] = {}
    for key, value in exc.params.items():
        if key == "state" and isinstance(value, str) and value in labels:
            params[key] = labels[value]
        elif isinstance(value, Term):
            params[key] = _(str(value))
        else:
            params[key] = value
    try:
        return _(exc.message).format(**params)
    except (KeyError, IndexError, ValueError):
        return exc.text(_)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a counter staff page with the shared labels."""
    _ = translator(request_language(request))
    shared: dict[str, Any] = {
        "states": state_labels(_),
        "levels": level_labels(_),
        "clocal": local,
    }
    return render(request, name, {**shared, **context}, status_code)
