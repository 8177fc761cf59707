"""What every staff page of the counter shares: the clerk, error text, labels, rendering."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from manyi.counter.access import Clerk
from manyi.counter.domain.authorisation_rules import Condition
from manyi.errors import ManyiError, Term
from manyi.org.model import UnitLevel
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import Principal
from manyi.web.templating import render

__all__ = [
    "clerk_of",
    "error_text",
    "level_labels",
    "local",
    "page",
    "reason_text",
    "state_labels",
]


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
        "pin_retry": _("Wrong PIN: type it again"),
        "done": _("All items done"),
        "partial": _("Partly done"),
        "failed": _("Nothing done"),
        "signed": _("Signed by the customer"),
        "archived": _("E-voucher archived"),
        "cancelled": _("Cancelled"),
    }


def flag_labels(_: Translate) -> dict[str, str]:
    return {
        "elderly": _("elderly customer (65 or over)"),
        "high_risk": _("high-risk customer"),
        "watchlist": _("customer on the watch list"),
        "first_time_large": _("first large transaction"),
    }


def condition_text(when: Condition, _: Translate) -> str:
    """A rule's condition in words, such as "amount ≥ 50000 and elderly customer"."""
    parts = []
    flags = flag_labels(_)
    if when.amount_at_least is not None:
        parts.append(_("amount ≥ {amount}").format(amount=when.amount_at_least))
    if when.currencies:
        parts.append(_("currency {codes}").format(codes="/".join(sorted(when.currencies))))
    if when.customer_flags:
        parts.append("/".join(flags.get(f, f) for f in sorted(when.customer_flags)))
    if when.transaction_codes:
        codes = "/".join(sorted(when.transaction_codes))
        parts.append(_("transaction {codes}").format(codes=codes))
    return _(" and ").join(parts) if parts else _("always")


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
    """A service's refusal in the page's language, a bundle's state as its label."""
    _ = translator(request_language(request))
    labels = state_labels(_)
    words = {
        "state": lambda value: labels.get(value) or (_(value) if isinstance(value, Term) else value)
    }
    return exc.text(_, words)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a counter staff page with the shared labels."""
    _ = translator(request_language(request))
    shared: dict[str, Any] = {
        "states": state_labels(_),
        "levels": level_labels(_),
        "clocal": local,
    }
    return render(request, name, {**shared, **context}, status_code)


def _flag_names(_: Translate) -> dict[str, str]:
    return {
        "elderly": _("elderly customer (65 or older)"),
        "high_risk": _("high-risk customer"),
        "watchlist": _("customer on the watch list"),
        "first_time_large": _("first large transaction"),
    }


def _grouped(amount: str) -> str:
    try:
        return f"{Decimal(amount):,}"
    except InvalidOperation:
        return amount


def reason_text(reason: str, _: Translate) -> str:
    """Why an item needs authorisation, as authorisation.py writes it in English
    ("amount ≥ 50000 and customer elderly → supervisor"), in the page's language; a reason
    of another shape is shown as written."""
    condition, arrow, level = reason.rpartition(" → ")
    if not arrow:
        return reason
    flags = _flag_names(_)
    parts: list[str] = []
    for part in condition.split(" and "):
        kind, _sep, rest = part.partition(" ")
        values = rest.split("/")
        if part == "always":
            parts.append(_("always, for this transaction"))
        elif kind == "amount" and rest.startswith("≥ "):
            parts.append(_("amount of {amount} or more").format(amount=_grouped(rest[2:])))
        elif kind == "currency":
            parts.append(_("currency {codes}").format(codes=" / ".join(values)))
        elif kind == "customer":
            parts.append(" / ".join(flags.get(v, v) for v in values))
        elif kind == "transaction":
            parts.append(_("transaction {codes}").format(codes=" / ".join(values)))
        else:
            parts.append(part)
    text = parts[0]
    for part in parts[1:]:
        text = _("{first} and {second}").format(first=text, second=part)
    return _("{condition} → {level}").format(
        condition=text, level=level_labels(_).get(level, level)
    )
