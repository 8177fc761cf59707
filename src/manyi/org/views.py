"""Admin pages for units, staff and device tokens (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.org import device_tokens as device_service
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import ROLE_LEVELS, Permission, Role, UnitLevel, parse_roles
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
MAX_CSV_BYTES = 2 * 1024 * 1024


def _failed(
    request: Request, session: Session, template: str, context: dict[str, Any], exc: ManyiError
) -> Response:
    session.rollback()
    _ = translator(request_language(request))
    context.update(error=exc.text(_), field=exc.field)
    return render(request, template, context, status_code=exc.status_code)


def _int(value: str, field: str, default: int | None = None) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("{name} must be a whole number", field, name=field) from None


def _filter(items: list[Any], q: str, *attrs: str) -> list[Any]:
    q = q.strip().lower()
    if not q:
        return items
    return [i for i in items if any(q in str(getattr(i, a) or "").lower() for a in attrs)]


# --- Units -----------------------------------------------------------------


@router.get("/units")
def units_page(
    request: Request,
    q: str = "",
    principal: Principal = require(Permission.UNITS_VIEW),
    session: Session = DbSession,
) -> Response:
    units = unit_service.units_in_scope(session, principal.scope)
    shown = _filter(units, q, "code", "name_zh", "name_en", "address")
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
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    values = dict(
        code=code,
        level=level,
        parent_id=_safe_int(parent_id),
        name_zh=name_zh,
        name_en=name_en,
        timezone=timezone,
        address=address,
        customers_served=customers_served,
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
                parent_id=_int(parent_id, "parent_id"),
                name_en=name_en,
                timezone=timezone.strip() or request.app.state.settings.timezone,
                address=address,
                customers_served=_int(customers_served, "customers_served", 0) or 0,
            ),
            scope=principal.scope,
        )
    except ManyiError as exc:
        context = _unit_form_context(session, principal, unit=None, values=values)
        return _failed(request, session, "unit_form.html", context, exc)
    return RedirectResponse(f"/admin/units/{unit.id}?saved=1", status_code=303)


def _safe_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


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
    active: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        unit_service.update_unit(
            session,
            principal.actor,
            unit_id,
            {
                "name_zh": name_zh,
                "name_en": name_en,
                "timezone": timezone.strip(),
                "address": address,
                "customers_served": _int(customers_served, "customers_served", 0),
                "active": active == "on",
            },
            scope=principal.scope,
        )
    except ManyiError as exc:
        session.rollback()
        unit = unit_service.get_unit(session, unit_id, principal.scope)
        values = {
            "name_zh": name_zh,
            "name_en": name_en,
            "timezone": timezone,
            "address": address,
            "customers_served": customers_served,
        }
        context = {"unit": unit, "children": [], "staff": [], "saved": False, "values": values}
        return _failed(request, session, "unit_detail.html", context, exc)
    return RedirectResponse(f"/admin/units/{unit_id}?saved=1", status_code=303)


# --- Staff -----------------------------------------------------------------


@router.get("/staff")
def staff_page(
    request: Request,
    q: str = "",
    principal: Principal = require(Permission.STAFF_VIEW),
    session: Session = DbSession,
) -> Response:
    people = staff_service.staff_in_scope(session, principal.scope)
    shown = _filter(people, q, "username", "display_name")
    return render(request, "staff.html", {"people": shown, "total": len(people), "q": q})


def _staff_form_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "units": unit_service.units_in_scope(session, principal.scope),
        "all_roles": list(Role),
        "role_levels": ROLE_LEVELS,
        "error": None,
        "field": "",
        **extra,
    }


@router.get("/staff/new")
def new_staff_page(
    request: Request,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    return render(
        request, "staff_form.html", _staff_form_context(session, principal, person=None, values={})
    )


@router.post("/staff")
def create_staff(
    request: Request,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    unit_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    values = {
        "username": username,
        "display_name": display_name,
        "unit_id": _safe_int(unit_id),
        "roles": roles or [],
    }
    try:
        person = staff_service.create_staff(
            session,
            principal.actor,
            username=username,
            display_name=display_name,
            unit_id=_int(unit_id, "unit_id") or 0,
            roles=_roles(roles or []),
            password=password,
            scope=principal.scope,
        )
    except ManyiError as exc:
        context = _staff_form_context(session, principal, person=None, values=values)
        return _failed(request, session, "staff_form.html", context, exc)
    return RedirectResponse(f"/admin/staff/{person.id}?saved=1", status_code=303)


def _roles(values: list[str]) -> list[Role]:
    try:
        return parse_roles(values)
    except ValueError as exc:
        raise InvalidInput("{reason}", "roles", reason=str(exc)) from None


@router.get("/staff/{staff_id}")
def staff_detail(
    request: Request,
    staff_id: int,
    saved: int = 0,
    principal: Principal = require(Permission.STAFF_VIEW),
    session: Session = DbSession,
) -> Response:
    person = staff_service.get_staff(session, staff_id, principal.scope)
    context = _staff_form_context(session, principal, person=person, values={}, saved=bool(saved))
    return render(request, "staff_detail.html", context)


@router.post("/staff/{staff_id}")
def update_staff(
    request: Request,
    staff_id: int,
    display_name: Annotated[str, Form()] = "",
    unit_id: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        staff_service.update_staff(
            session,
            principal.actor,
            staff_id,
            display_name=display_name,
            unit_id=_int(unit_id, "unit_id"),
            roles=_roles(roles or []),
            active=active == "on",
            scope=principal.scope,
        )
    except ManyiError as exc:
        session.rollback()
        person = staff_service.get_staff(session, staff_id, principal.scope)
        context = _staff_form_context(session, principal, person=person, values={}, saved=False)
        return _failed(request, session, "staff_detail.html", context, exc)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)


@router.post("/staff/{staff_id}/password")
def reset_staff_password(
    request: Request,
    staff_id: int,
    password: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        staff_service.reset_password(session, principal.actor, staff_id, password, principal.scope)
    except ManyiError as exc:
        session.rollback()
        person = staff_service.get_staff(session, staff_id, principal.scope)
        context = _staff_form_context(session, principal, person=person, values={}, saved=False)
        return _failed(request, session, "staff_detail.html", context, exc)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)


@router.post("/staff/{staff_id}/unlock")
def unlock_staff(
    staff_id: int,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    staff_service.unlock(session, principal.actor, staff_id, principal.scope)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)


# --- Device tokens ---------------------------------------------------------


def _device_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    from manyi.db import utcnow

    outlets = [
        u
        for u in unit_service.units_in_scope(session, principal.scope)
        if u.unit_level is UnitLevel.OUTLET
    ]
    return {
        "tokens": device_service.tokens_in_scope(session, principal.scope),
        "outlets": outlets,
        "kinds": list(device_service.DeviceKind),
        "now": utcnow(),
        "secret": None,
        "error": None,
        "field": "",
        **extra,
    }


@router.get("/devices")
def devices_page(
    request: Request,
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    return render(request, "devices.html", _device_context(session, principal))


@router.post("/devices")
def issue_device_token(
    request: Request,
    outlet_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    valid_days: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        token, secret = device_service.issue_token(
            session,
            principal.actor,
            outlet_id=_int(outlet_id, "outlet_id") or 0,
            kind=kind,
            name=name,
            valid_days=_int(valid_days, "valid_days"),
            scope=principal.scope,
        )
    except ManyiError as exc:
        return _failed(request, session, "devices.html", _device_context(session, principal), exc)
    session.flush()
    # The secret is shown on this response only; it is not stored anywhere.
    context = _device_context(session, principal, secret=secret, issued=token)
    response = render(request, "devices.html", context, status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/devices/{token_id}/revoke")
def revoke_device_token(
    token_id: int,
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    device_service.revoke_token(session, principal.actor, token_id, principal.scope)
    return RedirectResponse("/admin/devices", status_code=303)
