"""Bulletins (通报) and the staff member's own sanctions.

- `/supervision/misconduct/{id}/bulletin`: the form, its text composed from the finalised case
  (names masked unless `?names=shown`), editable; posting it issues the bulletin to every staff
  member of the chosen unit's subtree (`supervision.misconduct_bulletins.issue`);
- `/supervision/bulletins`: the bulletins issued in the viewer's scope;
- `/my/sanctions`: any signed-in staff member's own sanctions of finalised cases, without the
  investigation notes or findings.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import misconduct_bulletins, misconduct_queries
from manyi.supervision.web.confidential import CASE
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
MANAGE = Permission.MISCONDUCT_MANAGE


def _form(
    request: Request,
    principal: Principal,
    session: Session,
    case_id: int,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    if values is None:
        shown = request.query_params.get("names") == "shown"
        title, body = misconduct_bulletins.draft(
            session, principal.unit_path, case_id, show_names=shown
        )
        values = {
            "title": title,
            "body": body,
            "names": "shown" if shown else "masked",
            "scope_unit": principal.unit_code,
        }
    context = {
        "title": _("Issue a bulletin"),
        "case_id": case_id,
        "values": values,
        "units": misconduct_queries.unit_choices(session, principal.unit_path),
        "error": error,
    }
    return render(request, "supervision/bulletin_form.html", context, status)


@router.get("/supervision/misconduct/{case_id}/bulletin")
def bulletin_form(
    request: Request,
    case_id: int,
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    return _form(request, principal, session, case_id)


@router.post("/supervision/misconduct/{case_id}/bulletin")
def issue_bulletin(
    request: Request,
    case_id: int,
    scope_unit: str = Form(""),
    title: str = Form(""),
    body: str = Form(""),
    names: str = Form("masked"),
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        misconduct_bulletins.issue(
            session,
            principal.actor,
            case_id,
            scope_unit_code=scope_unit,
            title=title,
            body=body,
            show_names=names == "shown",
            now=utcnow(),
        )
    except ManyiError as exc:
        if exc.field == "case":  # no such case in scope, or not finalised
            raise
        session.rollback()
        values = {"title": title, "body": body, "names": names, "scope_unit": scope_unit}
        return _form(
            request,
            principal,
            session,
            case_id,
            values=values,
            error=exc.text(_),
            status=exc.status_code,
        )
    return RedirectResponse("/supervision/bulletins?issued=1", status_code=303)


@router.get("/supervision/bulletins")
def bulletins_page(
    request: Request, principal: Principal = require(MANAGE), session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    context = {
        "title": _("Bulletins"),
        "rows": misconduct_bulletins.bulletins_in_scope(session, principal.unit_path),
        "issued": request.query_params.get("issued", ""),
    }
    return render(request, "supervision/bulletins.html", context)


@router.get("/my/sanctions")
def my_sanctions_page(
    request: Request, principal: Principal = require(), session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    context = {
        "title": _("My sanctions"),
        "rows": misconduct_queries.my_sanctions(session, principal.id),
    }
    return render(request, "supervision/my_sanctions.html", context)
