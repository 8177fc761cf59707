"""Praise (表扬) pages: register a customer's praise of a staff member and list it per unit.

Thin: parse the form, call `complaints.praise`, render. Registering needs
`complaints.register` (complaint handlers, lobby managers, complaint managers); the list needs
`complaints.view` and shows the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import praise
from manyi.complaints.domain.praise import CHANNEL_NAMES, TEXT_MAX, PraiseChannel
from manyi.complaints.web.common import caller_of, error_text, page
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


def _date(value: str, field: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD", field) from None


def _context(
    request: Request, session: Session, principal: Principal, query: dict[str, str]
) -> dict[str, Any]:
    lang = request_language(request)
    caller = caller_of(principal)
    unit_id = ascii_int(query.get("unit_id", ""), 1)
    staff_id = ascii_int(query.get("staff_id", ""), 1)
    start = _date(query.get("from", ""), "from")
    end = _date(query.get("to", ""), "to")
    rows = praise.listing(
        session, caller, unit_id=unit_id, staff_id=staff_id, start=start, end=end, lang=lang
    )
    may_register = Permission.COMPLAINTS_REGISTER in principal.permissions
    units = praise.units_in_scope(session, caller)
    base = principal.unit_path.count("/")
    return {
        "rows": rows,
        "filters": {"unit_id": unit_id, "staff_id": staff_id, "from": start, "to": end},
        "units": [(u, u.path.count("/") - base) for u in units],
        "may_register": may_register,
        "staff": praise.staff_choices(session, caller) if may_register else [],
        "channels": [(c.value, CHANNEL_NAMES[c][1 if lang == "en" else 0]) for c in PraiseChannel],
        "channel_names": {
            c.value: CHANNEL_NAMES[c][1 if lang == "en" else 0] for c in PraiseChannel
        },
        "text_max": TEXT_MAX,
        "values": {"received_on": praise.today_at(_home(session, principal), utcnow())},
        "cap": praise.LIST_CAP,
    }


def _home(session: Session, principal: Principal) -> Unit:
    unit = session.get(Unit, principal.unit_id)
    assert unit is not None
    return unit


@router.get("/praise")
def praise_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    query = dict(request.query_params)
    try:
        context = _context(request, session, principal, query)
    except ManyiError as exc:
        message, field, status = error_text(request, exc)
        context = _context(request, session, principal, {})
        context.update(error=message, field=field)
        return page(request, "complaints/praise.html", context, status)
    flash = _("Praise registered.") if query.get("done") == "registered" else ""
    return page(request, "complaints/praise.html", {**context, "flash": flash})


@router.post("/praise")
def register_praise(
    request: Request,
    staff_id: str = Form(""),
    channel: str = Form(""),
    received_on: str = Form(""),
    text: str = Form(""),
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    values = {"staff_id": staff_id, "channel": channel, "received_on": received_on, "text": text}
    try:
        row = praise.register(
            session,
            caller_of(principal),
            staff_id=ascii_int(staff_id, 1),
            channel=channel,
            received_on=_date(received_on, "received_on"),
            text=text,
            now=utcnow(),
        )
    except ManyiError as exc:
        message, field, status = error_text(request, exc)
        context = _context(request, session, principal, {})
        context.update(values=values, error=message, field=field)
        return page(request, "complaints/praise.html", context, status)
    return RedirectResponse(
        f"/complaints/praise?done=registered&unit_id={row.unit_id}", status_code=303
    )
