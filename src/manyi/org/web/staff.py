"""The staff pages (/admin/staff): the list, a new member of staff, one person with their
unit and roles, resetting a password and unlocking a locked account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import ROLE_LEVELS, Permission, Role, parse_roles
from manyi.org.web.forms import form_failed, int_or_none, matching, parse_int
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/staff")
def staff_page(
    request: Request,
    q: str = "",
    principal: Principal = require(Permission.STAFF_VIEW),
    session: Session = DbSession,
) -> Response:
    people = staff_service.staff_in_scope(session, principal.scope)
    shown = matching(people, q, "username", "display_name", "staff_number")
    return render(request, "staff.html", {"people": shown, "total": len(people), "q": q})


def _staff_form_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "units": unit_service.units_in_scope(session, principal.scope),
        "all_roles": list(Role),
        "role_levels": ROLE_LEVELS,
        "masked_mobile": staff_service.masked_mobile,
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
    staff_number: Annotated[str, Form()] = "",
    mobile: Annotated[str, Form()] = "",
    unit_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    values = {
        "username": username,
        "display_name": display_name,
        "staff_number": staff_number,
        "mobile": mobile,
        "unit_id": int_or_none(unit_id),
        "roles": roles or [],
    }
    prehashed = staff_service.hash_ahead(password, username)  # before the unit of work
    try:
        person = staff_service.create_staff(
            session,
            principal.actor,
            username=username,
            display_name=display_name,
            unit_id=parse_int(unit_id, "unit_id") or 0,
            roles=_roles(roles or []),
            password=password,
            scope=principal.scope,
            prehashed=prehashed,
            staff_number=staff_number,
            mobile=mobile,
        )
    except ManyiError as exc:
        context = _staff_form_context(session, principal, person=None, values=values)
        return form_failed(request, session, "staff_form.html", context, exc)
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
    staff_number: Annotated[str, Form()] = "",
    mobile: Annotated[str, Form()] = "",
    mobile_remove: Annotated[str, Form()] = "",
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
            unit_id=parse_int(unit_id, "unit_id"),
            roles=_roles(roles or []),
            active=active == "on",
            scope=principal.scope,
            staff_number=staff_number,
            # The page shows the number masked: empty keeps it, a number replaces it.
            mobile="" if mobile_remove == "on" else (mobile or None),
        )
    except ManyiError as exc:
        session.rollback()
        person = staff_service.get_staff(session, staff_id, principal.scope)
        context = _staff_form_context(session, principal, person=person, values={}, saved=False)
        return form_failed(request, session, "staff_detail.html", context, exc)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)


@router.post("/staff/{staff_id}/password")
def reset_staff_password(
    request: Request,
    staff_id: int,
    password: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    prehashed = staff_service.hash_ahead(password)  # before the unit of work
    try:
        staff_service.reset_password(
            session, principal.actor, staff_id, password, principal.scope, prehashed=prehashed
        )
    except ManyiError as exc:
        session.rollback()
        person = staff_service.get_staff(session, staff_id, principal.scope)
        context = _staff_form_context(session, principal, person=person, values={}, saved=False)
        return form_failed(request, session, "staff_detail.html", context, exc)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)


@router.post("/staff/{staff_id}/unlock")
def unlock_staff(
    staff_id: int,
    principal: Principal = require(Permission.STAFF_MANAGE),
    session: Session = DbSession,
) -> Response:
    staff_service.unlock(session, principal.actor, staff_id, principal.scope)
    return RedirectResponse(f"/admin/staff/{staff_id}?saved=1", status_code=303)
