"""Registering a complaint from any intake channel: one page, sensible defaults.

The channel decides which fields are required (`intake.REQUIRED_BY_INTAKE`);
a small script marks them as the channel changes, but the server checks again
and shows the form with the error on the field. On success the reference and
the query code are shown once, to be read to the complainant.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from manyi.complaints import access, clock, intake, staff_queries
from manyi.complaints.domain.taxonomy import Axis, Flag, Intake
from manyi.complaints.web.common import caller_of, category_options, error_text, page
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission, UnitLevel, path_in_scope
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/complaints", include_in_schema=False)

INTAKES = [i for i in Intake if i is not Intake.IMPORT]
FLAGS = [f for f in Flag if f is not Flag.REPEAT]  # a repeat is detected, never chosen


def _home(session: Session, principal: Principal) -> Unit:
    unit = session.get(Unit, principal.unit_id)
    assert unit is not None
    return unit


def _default_intake(home: Unit) -> str:
    # At an outlet the customer is usually at the counter; elsewhere on the hotline.
    return Intake.COUNTER.value if home.level == UnitLevel.OUTLET.value else Intake.HOTLINE.value


def _form_context(
    request: Request, session: Session, principal: Principal, values: dict[str, Any]
) -> dict[str, Any]:
    lang = request_language(request)
    caller = caller_of(principal)
    home = _home(session, principal)
    units = staff_queries.active_units_in_scope(session, caller)
    base = principal.unit_path.count("/")
    chosen_unit = values.get("responsible_unit_id") or home.id
    required = {i.value: list(intake.REQUIRED_BY_INTAKE[i]) for i in INTAKES}
    return {
        "values": values,
        "intakes": INTAKES,
        "flags": FLAGS,
        "required": required,
        "required_json": json.dumps(required),
        "needed": set(required.get(values.get("intake", ""), [])),
        "axis_options": {axis.value: category_options(session, axis, lang) for axis in Axis},
        "units": [(u, u.path.count("/") - base) for u in units],
        "staff": staff_queries.staff_of_unit(session, chosen_unit)
        if any(u.id == chosen_unit for u in units)
        else [],
        "timezone": home.timezone,
        "text_max": intake.TEXT_MAX,
    }


@router.get("/new")
def new_complaint_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    home = _home(session, principal)
    chosen = request.query_params.get("intake", "")
    values: dict[str, Any] = {
        "intake": chosen if chosen in {i.value for i in INTAKES} else _default_intake(home),
        "received_at": utcnow().astimezone(clock.zone(home.timezone)).strftime("%Y-%m-%dT%H:%M"),
        "responsible_unit_id": home.id,
        "flags": [],
        "named_staff_ids": [],
    }
    return page(
        request, "complaints/register.html", _form_context(request, session, principal, values)
    )


@router.get("/new/staff")
def staff_options(
    request: Request,
    unit_id: str = "",
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    """The staff of one unit in the caller's scope, as <option>s for the named-staff list."""
    number = ascii_int(unit_id, 1)
    unit = session.get(Unit, number) if number is not None else None
    staff = []
    if unit is not None and path_in_scope(principal.unit_path, unit.path):
        staff = staff_queries.staff_of_unit(session, unit.id)
    return render(request, "complaints/_staff_options.html", {"staff": staff, "chosen": []})


def _local_datetime(value: str, tz: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date and time as YYYY-MM-DD HH:MM", "received_at") from None
    # A wall-clock time in the registering unit's zone; fold=0 takes the first of a repeated hour.
    return naive.replace(tzinfo=clock.zone(tz)).astimezone(dt.UTC)


def _date(value: str, field: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD", field) from None


def _responsible_unit(session: Session, unit_id: str, unit_code: str) -> int | None:
    """The chosen unit: a code typed for a unit outside one's scope wins over the list."""
    if unit_code.strip():
        found = staff_queries.active_unit_by_code(session, unit_code)
        if found is None:
            raise InvalidInput(
                "there is no active unit with code {code}",
                "responsible_unit_id",
                code=unit_code.strip(),
            )
        return found.id
    return ascii_int(unit_id, 1)


@router.post("/new")
def register_complaint(
    request: Request,
    intake_channel: Annotated[str, Form(alias="intake")] = "",
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    request_text: Annotated[str, Form(alias="request")] = "",
    channel_code: Annotated[str, Form()] = "",
    business_code: Annotated[str, Form()] = "",
    cause_code: Annotated[str, Form()] = "",
    appeal_code: Annotated[str, Form()] = "",
    flags: Annotated[list[str] | None, Form()] = None,
    complainant_name: Annotated[str, Form()] = "",
    complainant_phone: Annotated[str, Form()] = "",
    complainant_id_number: Annotated[str, Form()] = "",
    complainant_email: Annotated[str, Form()] = "",
    complainant_address: Annotated[str, Form()] = "",
    intake_ref: Annotated[str, Form()] = "",
    regulator_ref: Annotated[str, Form()] = "",
    regulator_received_on: Annotated[str, Form()] = "",
    received_at: Annotated[str, Form()] = "",
    responsible_unit_id: Annotated[str, Form()] = "",
    responsible_unit_code: Annotated[str, Form()] = "",
    named_staff_ids: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    caller = caller_of(principal)
    home = _home(session, principal)
    named = [n for n in map(ascii_int, named_staff_ids or []) if n is not None]
    values: dict[str, Any] = {
        "intake": intake_channel,
        "subject": subject,
        "description": description,
        "request": request_text,
        "channel_code": channel_code,
        "business_code": business_code,
        "cause_code": cause_code,
        "appeal_code": appeal_code,
        "flags": flags or [],
        "complainant_name": complainant_name,
        "complainant_phone": complainant_phone,
        "complainant_id_number": complainant_id_number,
        "complainant_email": complainant_email,
        "complainant_address": complainant_address,
        "intake_ref": intake_ref,
        "regulator_ref": regulator_ref,
        "regulator_received_on": regulator_received_on,
        "received_at": received_at,
        "responsible_unit_id": ascii_int(responsible_unit_id) or home.id,
        "responsible_unit_code": responsible_unit_code,
        "named_staff_ids": named,
    }
    try:
        form = intake.ComplaintForm(
            intake=intake_channel,
            subject=subject,
            description=description,
            request=request_text,
            channel_code=channel_code,
            business_code=business_code,
            cause_code=cause_code,
            appeal_code=appeal_code,
            flags=list(flags or []),
            complainant_name=complainant_name,
            complainant_phone=complainant_phone,
            complainant_id_number=complainant_id_number,
            complainant_email=complainant_email,
            complainant_address=complainant_address,
            intake_ref=intake_ref,
            regulator_ref=regulator_ref,
            regulator_received_on=_date(regulator_received_on, "regulator_received_on"),
            received_at=_local_datetime(received_at, home.timezone),
            responsible_unit_id=_responsible_unit(
                session, responsible_unit_id, responsible_unit_code
            ),
            named_staff_ids=named,
        )
        registered = intake.register(session, caller, form, utcnow())
    except ManyiError as exc:
        session.rollback()
        message, field, status = error_text(request, exc)
        context = _form_context(request, session, principal, values)
        context.update(error=message, field=field)
        return page(request, "complaints/register.html", context, status)
    complaint = registered.complaint
    session.flush()
    context = {
        "complaint": complaint,
        "query_code": registered.query_code,
        "visible": access.can_see(session, caller, complaint),
        "handler": staff_queries.staff_names(session, [complaint.handler_id]).get(
            complaint.handler_id or 0, ""
        ),
        "unit_name": staff_queries.unit_names(
            session, [complaint.responsible_unit_id], request_language(request)
        ).get(complaint.responsible_unit_id, ""),
    }
    response = page(request, "complaints/registered.html", context, 201)
    response.headers["Cache-Control"] = "no-store"  # the query code is shown this once
    return response
