"""Prominent-issue categories (`/insight/issues/categories`): everyone who sees complaints reads
them; head office (complaint settings) adds and changes them. A refused form comes back with
the message, the field marked and what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.complaints.domain.taxonomy import DEPARTMENTS
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.insight import issues
from manyi.insight.domain.category_rules import CategoryForm
from manyi.insight.domain.issues import IssueCategory
from manyi.org.model import Permission, UnitLevel
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/insight/issues/categories", include_in_schema=False)


def may_edit(principal: Principal) -> bool:
    return (
        Permission.COMPLAINTS_CONFIGURE in principal.permissions
        and principal.unit_level == UnitLevel.HEAD_OFFICE.value
    )


def departments(lang: str) -> list[tuple[str, str]]:
    return [(d.code, d.name_en if lang == "en" else d.name_zh) for d in DEPARTMENTS.values()]


def _values(c: IssueCategory | None) -> dict[str, Any]:
    if c is None:
        return {
            "code": "", "name_zh": "", "name_en": "", "definition": "", "keywords": "",
            "examples": "", "owner_department": "", "target_decline_pct": "33",
            "starts_on": "", "due_on": "", "active": True, "sort_order": "0",
        }  # fmt: skip
    return {
        "code": c.code,
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "definition": c.definition,
        "keywords": " ".join(c.keywords),
        "examples": "\n".join(c.examples),
        "owner_department": c.owner_department,
        "target_decline_pct": f"{c.target_decline_pct:g}",
        "starts_on": c.starts_on.isoformat() if c.starts_on else "",
        "due_on": c.due_on.isoformat() if c.due_on else "",
        "active": c.active,
        "sort_order": str(c.sort_order),
    }


@router.get("")
def listing(
    request: Request,
    done: str = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Prominent-issue categories"),
        "categories": issues.categories(session, active_only=False),
        "departments": dict(departments(lang)),
        "may_edit": may_edit(principal),
        "flash": _("Saved.") if done == "saved" else "",
        "lang": lang,
    }
    return render(request, "insight/categories.html", context)


def _form(
    request: Request,
    values: dict[str, Any],
    *,
    code: str | None,
    error: str = "",
    field: str = "",
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Edit the category") if code else _("Add a category"),
        "values": values,
        "code": code,
        "departments": departments(lang),
        "error": error,
        "field": field,
    }
    return render(request, "insight/category_form.html", context, status)


@router.get("/new")
def new_form(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
) -> Response:
    return _form(request, _values(None), code=None)


@router.get("/{code}/edit")
def edit_form(
    request: Request,
    code: str,
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _form(request, _values(issues.category(session, code)), code=code)


def _save(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    code: str | None,
) -> Response:
    _ = translator(request_language(request))
    form = CategoryForm(**{k: v for k, v in values.items()})
    try:
        issues.save(
            session,
            principal.actor,
            principal.unit_level,
            principal.permissions,
            form,
            now=utcnow(),
            code=code,
        )
    except ManyiError as exc:
        session.rollback()
        return _form(
            request, values, code=code, error=exc.text(_), field=exc.field, status=exc.status_code
        )
    return RedirectResponse("/insight/issues/categories?done=saved", status_code=303)


FormText = Annotated[str, Form()]


def _fields(
    name_zh: FormText = "",
    name_en: FormText = "",
    definition: FormText = "",
    keywords: FormText = "",
    examples: FormText = "",
    owner_department: FormText = "",
    target_decline_pct: FormText = "",
    starts_on: FormText = "",
    due_on: FormText = "",
    active: FormText = "",
    sort_order: FormText = "0",
) -> dict[str, Any]:
    """The category form's fields as typed (the code comes from the form or the URL)."""
    return {
        "name_zh": name_zh, "name_en": name_en, "definition": definition,
        "keywords": keywords, "examples": examples, "owner_department": owner_department,
        "target_decline_pct": target_decline_pct, "starts_on": starts_on, "due_on": due_on,
        "active": active == "on", "sort_order": sort_order,
    }  # fmt: skip


Fields = Annotated[dict[str, Any], Depends(_fields)]


@router.post("/new")
def create(
    request: Request,
    fields: Fields,
    code: FormText = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _save(request, session, principal, {"code": code, **fields}, None)


@router.post("/{code}/edit")
def update(
    request: Request,
    code: str,
    fields: Fields,
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _save(request, session, principal, {"code": code, **fields}, code)
