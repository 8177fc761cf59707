"""The unit pages (/admin/units): the list, a new unit, the CSV import and one unit with its
sub-units and staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import Permission, UnitLevel
from manyi.org.web.forms import form_failed, int_or_none, matching, parse_float, parse_int
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
# An outlet's position, typed as decimal degrees (the service checks the ranges too).
LATITUDE = "the latitude must be a number from -90 to 90"
LONGITUDE = "the longitude must be a number from -180 to 180"
MAX_CSV_BYTES = 2 * 1024 * 1024
# The CSV and the form around it; a larger request is refused before it is read (app.py).
IMPORT_CAP = BodyCap(
    "POST",
    r"/admin/units/import",
    MAX_CSV_BYTES + FORM_SLACK_BYTES,
    "The file is larger than 2 MB.",
)


@router.get("/units")
def units_page(
    request: Request,
    q: str = "",
    principal: Principal = require(Permission.UNITS_VIEW),
    session: Session = DbSession,
) -> Response:
    units = unit_service.units_in_scope(session, principal.scope)
    shown = matching(units, q, "code", "name_zh", "name_en", "address")
    return render(request, "units.html", {"units": shown, "total": len(units), "q": q})


def _unit_form_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    parents = [
        u
        for u in unit_service.units_in_scope(session, principal.scope)
        if u.unit_level is not UnitLevel.OUTLET
    ]
    return {"parents": parents, "levels": list(UnitLevel), "error": None, "field": "", **extra}


@router.get("/units/new")
def new_unit_page(
    request: Request,
    parent_id: int | None = None,
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    context = _unit_form_context(session, principal, unit=None, values={"parent_id": parent_id})
    return render(request, "unit_form.html", context)


@router.post("/units")
def create_unit(
    request: Request,
    code: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    customers_served: Annotated[str, Form()] = "",
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    values = dict(
        code=code,
        level=level,
        parent_id=int_or_none(parent_id),
        name_zh=name_zh,
        name_en=name_en,
        timezone=timezone,
        address=address,
        customers_served=customers_served,
        latitude=latitude,
        longitude=longitude,
    )
    try:
        try:
            unit_level = UnitLevel(level)
        except ValueError:
            raise InvalidInput("choose a level", "level") from None
        unit = unit_service.create_unit(
            session,
            principal.actor,
            unit_service.UnitFields(
                code=code.strip(),
                level=unit_level,
                name_zh=name_zh,
                parent_id=parse_int(parent_id, "parent_id"),
                name_en=name_en,
                timezone=timezone.strip() or request.app.state.settings.timezone,
                address=address,
                customers_served=parse_int(customers_served, "customers_served", 0) or 0,
                latitude=parse_float(latitude, "latitude", LATITUDE),
                longitude=parse_float(longitude, "longitude", LONGITUDE),
            ),
            scope=principal.scope,
        )
    except ManyiError as exc:
        context = _unit_form_context(session, principal, unit=None, values=values)
        return form_failed(request, session, "unit_form.html", context, exc)
    return RedirectResponse(f"/admin/units/{unit.id}?saved=1", status_code=303)


@router.get("/units/import")
def import_page(
    request: Request, principal: Principal = require(Permission.UNITS_MANAGE)
) -> Response:
    return render(request, "unit_import.html", {"errors": [], "created": None})


@router.post("/units/import")
def import_units(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))

    def refuse(message: str, status: int) -> Response:
        return render(request, "unit_import.html", {"errors": [message], "created": None}, status)

    if file is None:
        return refuse(_("Choose a CSV file to import."), 400)
    raw = file.file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return refuse(_("The file is larger than 2 MB."), 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return refuse(_("The file is not UTF-8 text. Save it as “CSV UTF-8”."), 400)
    result = unit_service.import_units(
        session, principal.actor, text, request.app.state.settings.timezone, scope=principal.scope
    )
    if not result.ok:
        session.rollback()
        errors = [str(e) for e in result.errors]
        return render(request, "unit_import.html", {"errors": errors, "created": None}, 400)
    created = [u.code for u in result.created]
    return render(request, "unit_import.html", {"errors": [], "created": created})


@router.get("/units/{unit_id}")
def unit_page(
    request: Request,
    unit_id: int,
    saved: int = 0,
    principal: Principal = require(Permission.UNITS_VIEW),
    session: Session = DbSession,
) -> Response:
    unit = unit_service.get_unit(session, unit_id, principal.scope)
    children = unit_service.child_units(session, unit.id)
    staff = staff_service.staff_of_unit(session, unit.id)
    return render(
        request,
        "unit_detail.html",
        {
            "unit": unit,
            "children": children,
            "staff": staff,
            "saved": bool(saved),
            "error": None,
            "field": "",
            "values": None,
        },
    )


@router.post("/units/{unit_id}")
def update_unit(
    request: Request,
    unit_id: int,
    name_zh: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    customers_served: Annotated[str, Form()] = "",
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        changes: dict[str, object] = {
            "name_zh": name_zh,
            "name_en": name_en,
            "timezone": timezone.strip(),
            "address": address,
            "customers_served": parse_int(customers_served, "customers_served", 0),
            "active": active == "on",
        }
        if unit_service.get_unit(session, unit_id, principal.scope).level == UnitLevel.OUTLET:
            # Only an outlet's form asks the position; both empty clear it.
            changes["latitude"] = parse_float(latitude, "latitude", LATITUDE)
            changes["longitude"] = parse_float(longitude, "longitude", LONGITUDE)
        unit_service.update_unit(session, principal.actor, unit_id, changes, scope=principal.scope)
    except ManyiError as exc:
        session.rollback()
        unit = unit_service.get_unit(session, unit_id, principal.scope)
        values = {
            "name_zh": name_zh,
            "name_en": name_en,
            "timezone": timezone,
            "address": address,
            "customers_served": customers_served,
            "latitude": latitude,
            "longitude": longitude,
        }
        context = {"unit": unit, "children": [], "staff": [], "saved": False, "values": values}
        return form_failed(request, session, "unit_detail.html", context, exc)
    return RedirectResponse(f"/admin/units/{unit_id}?saved=1", status_code=303)
