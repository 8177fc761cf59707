"""The staff page of an outlet's appointment rules (`/lobby/appointments/rules?outlet=`): read
with lobby.view, changed with lobby.configure (the outlet head, an administrator), like the rules
API. The form is checked here field by field (what was typed stays, each error next to its
field, nothing saved), then saved and audited by the API's use case
(`appointment_rules.save_rules`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput
from manyi.lobby import layouts
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.reach import appointment_rules
from manyi.reach.domain.slots import Rules
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PATH = "/lobby/appointments/rules"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # percent, whole, time
    label: str  # English msgid; the page shows the translation
    help: str
    unit: str = ""


FIELDS = (
    Field(
        "walk_in_share",
        "percent",
        "Kept for walk-ins",
        "Of what the counters serve beyond the walk-ins expected, this share stays for customers"
        " who come without an appointment; the rest can be booked. 0 to 99.",
        "%",
    ),
    Field(
        "horizon_days",
        "whole",
        "Days ahead",
        "How many days after today a slot can be booked. 1 to 90.",
        "days",
    ),
    Field(
        "lead_minutes",
        "whole",
        "Book at least",
        "A slot can be booked until this long before it starts. 0 to 1440.",
        "minutes ahead",
    ),
    Field(
        "early_minutes",
        "whole",
        "Check-in opens",
        "At the kiosk or by the link, from this long before the slot. 0 to 240.",
        "minutes before",
    ),
    Field(
        "late_grace_minutes",
        "whole",
        "Late grace",
        "Checked in up to this long after the slot starts: still an appointment ticket; later, a"
        " normal one. 0 to 120.",
        "minutes",
    ),
    Field(
        "checkin_radius_m",
        "whole",
        "Check-in by the link within",
        "The customer's phone must be this close to the outlet's position (set on the outlet's"
        " page under organisation) to check in by the link; farther, the kiosk. 0: no position"
        " asked. 0 to 5000.",
        "metres",
    ),
    Field(
        "no_show_limit",
        "whole",
        "No-shows before a block",
        "This many missed appointments within the window stop the number booking. 1 to 20.",
        "times",
    ),
    Field(
        "no_show_window_days",
        "whole",
        "No-show window",
        "Missed appointments are counted over this many days. 1 to 365.",
        "days",
    ),
    Field(
        "block_days",
        "whole",
        "Block",
        "How long the number cannot book, counted from its latest no-show. 0 to 365.",
        "days",
    ),
    Field(
        "book_from",
        "time",
        "Appointments from",
        "The first slot starts at this time or after (inside the opening hours).",
    ),
    Field(
        "book_until",
        "time",
        "Appointments until",
        "The last slot ends by this time (inside the opening hours).",
    ),
)


def _shown(rules: Rules) -> dict[str, str]:
    """The rules as the form shows them (the share in per cent)."""
    values: dict[str, str] = {}
    for name, value in dataclasses.asdict(rules).items():
        if isinstance(value, dt.time):
            values[name] = value.strftime("%H:%M")
        elif name == "walk_in_share":
            values[name] = f"{value * 100:g}"
        else:
            values[name] = str(value)
    return values


def _parsed(typed: dict[str, str]) -> tuple[dict[str, Any], dict[str, InvalidInput]]:
    """The typed form as rule values, and the fields that could not be read."""
    values: dict[str, Any] = {}
    errors: dict[str, InvalidInput] = {}
    for field in FIELDS:
        text = typed[field.name].strip()
        try:
            if field.kind == "percent":
                values[field.name] = float(text) / 100
            elif field.kind == "whole":
                values[field.name] = int(text)
            else:
                # H:MM as typed on a keypad is HH:MM; the use case reads the time.
                values[field.name] = "0" + text if re.fullmatch(r"\d:\d\d", text) else text
        except ValueError:
            message = "give a number" if field.kind == "percent" else "give a whole number"
            errors[field.name] = InvalidInput(message, field.name)
    return values, errors


def _page(
    request: Request,
    principal: Principal,
    unit: Unit,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    return render(
        request,
        "appointments/staff_rules.html",
        {
            "title": _("Appointment rules"),
            "outlet": unit,
            "fields": FIELDS,
            "values": values,
            "errors": errors,
            "can_change": principal.can(Permission.LOBBY_CONFIGURE),
            "saved": request.query_params.get("saved") == "1",
            "action": f"{PATH}?outlet={quote(unit.code)}",
        },
        status,
    )


@router.get(PATH)
def rules_page(
    request: Request,
    outlet: str = "",
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> Response:
    unit = layouts.outlet_by_code(session, outlet or principal.unit_code, principal.unit_path)
    rules = appointment_rules.rules_for(session, unit.id)
    return _page(request, principal, unit, _shown(rules), {})


@router.post(PATH)
async def save_rules(
    request: Request,
    outlet: str = "",
    principal: Principal = require(Permission.LOBBY_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    unit = layouts.outlet_by_code(session, outlet or principal.unit_code, principal.unit_path)
    form = await request.form()
    current = appointment_rules.rules_for(session, unit.id)
    shown = _shown(current)
    typed = {f.name: str(form.get(f.name, shown[f.name])) for f in FIELDS}
    _ = translator(request_language(request))
    values, problems = _parsed(typed)
    # Each rule on its own (the hours together), so every wrong field is marked at once.
    hours = {n: v for n, v in values.items() if n in ("book_from", "book_until")}
    alone = [{n: v} for n, v in values.items() if n not in hours]
    for part in [*alone, hours] if hours else alone:
        try:
            appointment_rules.checked(current, part)
        except InvalidInput as exc:
            problems.setdefault(exc.field or next(iter(part)), exc)
    if not problems:
        try:
            appointment_rules.save_rules(session, principal.actor, unit, values, utcnow())
        except InvalidInput as exc:  # rules that only fail together (hours)
            session.rollback()
            problems = {exc.field or "walk_in_share": exc}
    if problems:
        labels = {f.name: str(_(f.label)) for f in FIELDS}

        def label(name: str) -> str:
            return labels.get(name, name)  # a field's label in the message, not its key

        words = {"name": label}
        errors = {name: exc.text(_, words) for name, exc in problems.items()}
        return _page(request, principal, unit, typed, errors, 422)
    return RedirectResponse(f"{PATH}?outlet={quote(unit.code)}&saved=1", status_code=303)
