"""The staff pulse survey (员工满意度): `/workload/pulse` to answer this month's survey once
(any signed-in staff member), `/workload/pulse/results` for the results by unit in one's scope
(groups of five or more only). No SQL here: `workload.pulse` stores and reports."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render
from manyi.workload import pulse
from manyi.workload.domain.pulse import MIN_GROUP, QUESTIONS

router = APIRouter(include_in_schema=False)


def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    error: str = "",
    field: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    month = pulse.month_of(utcnow(), request.app.state.settings.zone)
    context = {
        "month": month,
        "answered": pulse.has_answered(session, principal.id, month),
        "questions": QUESTIONS,
        "error": error,
        "error_field": field,
        "values": values or {},
        "thanks": request.query_params.get("thanks") == "1",
        "can_see_results": principal.can(Permission.WORKLOAD_VIEW),
    }
    return render(request, "workload/pulse.html", context, status_code=status)


@router.get("/workload/pulse")
def pulse_form(
    request: Request, principal: Principal = require(), session: Session = DbSession
) -> Response:
    return _form(request, principal, session)


@router.post("/workload/pulse")
def pulse_answer(
    request: Request,
    workload: str = Form(""),
    support: str = Form(""),
    pressure: str = Form(""),
    comment: str = Form(""),
    principal: Principal = require(),
    session: Session = DbSession,
) -> Response:
    form = {"workload": workload, "support": support, "pressure": pressure, "comment": comment}
    who = pulse.Respondent(principal.id, principal.unit_id, principal.unit_path)
    try:
        pulse.answer(session, who, form, utcnow(), request.app.state.settings.zone)
    except ManyiError as exc:
        session.rollback()
        message = exc.text(translator(request_language(request)))
        return _form(
            request,
            principal,
            session,
            error=message,
            field=exc.field,
            values=form,
            status=exc.status_code,
        )
    return RedirectResponse("/workload/pulse?thanks=1", status_code=303)


@router.get("/workload/pulse/results")
def pulse_results(
    request: Request,
    month: str = "",
    principal: Principal = require(Permission.WORKLOAD_VIEW),
    session: Session = DbSession,
) -> Response:
    chosen = pulse.check_month(month) if month.strip() else None
    chosen = chosen or pulse.month_of(utcnow(), request.app.state.settings.zone)
    found = pulse.results(session, principal.unit_path, chosen, request_language(request))
    return render(
        request,
        "workload/pulse_results.html",
        {"r": found, "questions": QUESTIONS, "min_group": MIN_GROUP},
    )
