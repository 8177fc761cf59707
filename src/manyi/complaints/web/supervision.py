"""The supervision board (督办看板) and expert consultations (专家会诊)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import categories, experts, staff_queries
from manyi.complaints.adapters import xlsx_export
from manyi.complaints.supervision_board import supervision_board
from manyi.complaints.web.common import (
    caller_of,
    category_label,
    error_text,
    local,
    page,
    span,
)
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


# --- Supervision board --------------------------------------------------------------------


@router.get("/supervision")
def supervision_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_MANAGE),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    board = supervision_board(session, caller_of(principal), lang)
    now = utcnow()
    return page(
        request,
        "complaints/supervision.html",
        {"board": board, "now": now, "span": lambda delta: span(delta, _)},
    )


@router.get("/supervision.xlsx")
def supervision_export(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_MANAGE),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    board = supervision_board(session, caller_of(principal), lang)
    now = utcnow()
    headers = [
        _("Supervising unit"),
        _("Supervision level"),
        _("Reference"),
        _("Subject"),
        _("Responsible unit"),
        _("Handler"),
        _("Supervisor"),
        _("Overdue since"),
        _("Supervision due"),
        _("Days left"),
    ]
    rows = [
        [
            r.supervising_unit,
            r.supervision.level,
            r.complaint.reference,
            r.complaint.subject,
            r.responsible_unit,
            r.handler_name,
            r.supervisor_name,
            local(r.complaint.overdue_since, r.complaint.timezone),
            local(r.supervision.due_at, r.complaint.timezone),
            round(r.days_left(now), 1),
        ]
        for r in board.rows
    ]
    body = xlsx_export.workbook(
        _("Supervision board"), headers, rows, widths=(16, 6, 20, 36, 16, 10, 10, 17, 17, 8)
    )
    stamp = now.astimezone(request.app.state.settings.zone)
    filename = f"{_('Supervision board')}_{stamp:%Y%m%d-%H%M}.xlsx"
    return Response(
        body,
        media_type=xlsx_export.XLSX_TYPE,
        headers={
            "Content-Disposition": xlsx_export.content_disposition(filename),
            "Cache-Control": "no-store",
        },
    )


# --- Expert consultations -----------------------------------------------------------------


def _consultations_context(
    request: Request, session: Session, principal: Principal
) -> dict[str, Any]:
    lang = request_language(request)
    waiting = experts.open_for(session, principal.id)
    answered = experts.answered_by(session, principal.id, limit=20)
    cases = experts.cases_asked(session, [*waiting, *answered])
    people = staff_queries.staff_names(session, [c.requested_by_id for c in waiting])
    units = staff_queries.unit_names(session, [c.responsible_unit_id for c in cases.values()], lang)
    return {
        "waiting": waiting,
        "answered": answered,
        "cases": cases,
        "people": people,
        "units": units,
        "names": categories.names(session, lang),
        "category_label": category_label,
        "values": {},
        "failed_id": None,
    }


@router.get("/consultations")
def consultations_page(
    request: Request,
    done: int = 0,
    principal: Principal = require(Permission.COMPLAINTS_CONSULT),
    session: Session = DbSession,
) -> Response:
    context = _consultations_context(request, session, principal)
    context["flash"] = bool(done)
    return page(request, "complaints/consultations.html", context)


@router.post("/consultations/{consultation_id}/opinion")
def give_opinion(
    request: Request,
    consultation_id: int,
    opinion: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONSULT),
    session: Session = DbSession,
) -> Response:
    try:
        experts.give_opinion(
            session, caller_of(principal), consultation_id, utcnow(), opinion=opinion
        )
    except ManyiError as exc:
        session.rollback()
        message, field, status = error_text(request, exc)
        context = _consultations_context(request, session, principal)
        context.update(
            error=message, field=field, failed_id=consultation_id, values={"opinion": opinion}
        )
        return page(request, "complaints/consultations.html", context, status)
    return RedirectResponse("/complaints/consultations?done=1", status_code=303)
