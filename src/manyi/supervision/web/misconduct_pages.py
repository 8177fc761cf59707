"""Misconduct cases (`/supervision/misconduct`): the list within the viewer's scope, the form
that opens a case, the case page with its next step, and each step's form.

Thin: parse, call `supervision.misconduct` (steps) and `misconduct_queries` (reads), render.
The list and the form need `supervision.misconduct` (403 without); a case's pages answer 404 to
anyone without it and for a case outside the viewer's scope, as for one that does not exist
(`web.confidential`). A refused step shows the case again with the reason, nothing stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.parsing import ascii_int
from manyi.supervision import (
    misconduct,
    misconduct_queries,
    misconduct_rectification,
    misconduct_sources,
)
from manyi.supervision.domain.misconduct import SANCTIONS, SEVERITIES, CaseState, Origin
from manyi.supervision.web.confidential import CASE, CASE_AND_ISSUE
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/misconduct"
MANAGE = Permission.MISCONDUCT_MANAGE


def _day(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("enter a date as YYYY-MM-DD", field) from None


def _int(value: str, field: str) -> int:
    number = ascii_int(value)
    if number is None:
        raise InvalidInput("choose the staff member concerned", field)
    return number


@router.get(PAGE)
def cases_page(
    request: Request,
    state: str = "",
    severity: str = "",
    principal: Principal = require(MANAGE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    error, rows = "", []
    try:
        rows = misconduct_queries.cases(
            session, principal.unit_path, utcnow(), state=state, severity=severity
        )
    except ManyiError as exc:
        error = exc.text(_)
    context = {
        "title": _("Misconduct"),
        "rows": rows,
        "error": error,
        "filters": {"state": state, "severity": severity},
        "states": list(CaseState),
        "severities": SEVERITIES,
    }
    return render(request, "supervision/misconduct_list.html", context, 422 if error else 200)


def _new_form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    field: str = "",
    status: int = 200,
    first_unit_id: int | None = None,
    named: list[str] | None = None,
) -> Response:
    _ = translator(request_language(request))
    staff = misconduct_queries.staff_choices(
        session, principal.unit_path, first_unit_id=first_unit_id
    )
    context = {
        "title": _("Open a misconduct case"),
        "staff": staff,
        "named": [c for c in staff if c.value in (named or [])],
        "severities": SEVERITIES,
        "origins": list(Origin),
        "values": values or {"origin": "report", "severity": "general"},
        "error": error,
        "field": field,
    }
    return render(request, "supervision/misconduct_new.html", context, status)


@router.get(PAGE + "/new")
def new_case_page(
    request: Request,
    source: str = "",
    ref: str = "",
    staff: str = "",
    unit: str = "",
    principal: Principal = require(MANAGE),
    session: Session = DbSession,
) -> Response:
    """The form, prefilled from where the misconduct was found (`?source=complaint&ref=…`,
    `inspection&ref=<visit>:<item>`, `survey_flag&ref=…&staff=<username>`): a reference that
    does not exist in the viewer's scope is said so (404), with the form as far as it goes."""
    if not source:
        return _new_form(request, principal, session)
    _ = translator(request_language(request))
    found = misconduct_sources.prefill(
        session, principal.actor, source=source, ref=ref, staff=staff, unit=unit
    )
    error = found.error
    return _new_form(
        request,
        principal,
        session,
        values=found.values,
        error=error.text(_) if error else "",
        field=error.field if error else "",
        status=404 if error else 200,
        first_unit_id=found.unit_id,
        named=found.named,
    )


@router.post(PAGE)
def open_case(
    request: Request,
    origin: str = Form(""),
    origin_ref: str = Form(""),
    item: str = Form(""),
    severity: str = Form(""),
    staff_id: str = Form(""),
    happened_on: str = Form(""),
    summary: str = Form(""),
    principal: Principal = require(MANAGE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    values = {
        "origin": origin,
        "origin_ref": origin_ref,
        "item": item,
        "severity": severity,
        "staff_id": staff_id,
        "happened_on": happened_on,
        "summary": summary,
    }
    try:
        new = misconduct.NewCase(
            origin=origin,
            origin_ref=origin_ref,
            item=item,
            severity=severity,
            staff_id=_int(staff_id, "staff_id"),
            happened_on=_day(happened_on, "happened_on"),
            summary=summary,
        )
        case_id = misconduct.open_case(session, principal.actor, new, now=utcnow())
    except ManyiError as exc:
        return _new_form(
            request,
            principal,
            session,
            values=values,
            error=exc.text(_),
            field=exc.field,
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}/{case_id}", status_code=303)


def _case_page(
    request: Request,
    principal: Principal,
    session: Session,
    case_id: int,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    now = utcnow()
    view = misconduct_queries.case_view(session, principal.unit_path, case_id, now)
    context = {
        "title": _("Misconduct case {id}").format(id=case_id),
        "v": view,
        "tasks": misconduct_rectification.tasks_of_case(session, case_id, now),
        "origin_tasks": misconduct_rectification.tasks_of_origin(
            session, view.case.origin, view.case.origin_ref, now
        ),
        "may_rectify": principal.can(Permission.SUPERVISION_ISSUE),
        "catalogue": SANCTIONS,
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "supervision/misconduct_case.html", context, status)


@router.get(PAGE + "/{case_id}")
def case_page(
    request: Request,
    case_id: int,
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    return _case_page(request, principal, session, case_id)


def _step(
    request: Request,
    principal: Principal,
    session: Session,
    case_id: int,
    step: str,
    work: Callable[[], object],
) -> Response:
    _ = translator(request_language(request))
    try:
        work()
    except ManyiError as exc:
        if exc.status_code == 404:
            raise
        session.rollback()  # nothing of a refused step stays
        return _case_page(
            request, principal, session, case_id, error=exc.text(_), status=exc.status_code
        )
    return RedirectResponse(f"{PAGE}/{case_id}?done={step}", status_code=303)


@router.post(PAGE + "/{case_id}/investigate")
def investigate(
    request: Request,
    case_id: int,
    notes: str = Form(""),
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        misconduct.start_investigation(session, principal.actor, case_id, notes=notes, now=utcnow())

    return _step(request, principal, session, case_id, "investigate", work)


@router.post(PAGE + "/{case_id}/findings")
def findings(
    request: Request,
    case_id: int,
    findings: str = Form(""),
    notes: str = Form(""),
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        misconduct.record_findings(
            session, principal.actor, case_id, findings=findings, notes=notes, now=utcnow()
        )

    return _step(request, principal, session, case_id, "findings", work)


@router.post(PAGE + "/{case_id}/sanctions")
def sanctions(
    request: Request,
    case_id: int,
    sanction: list[str] = Form([]),
    note: str = Form(""),
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        misconduct.decide_sanctions(
            session, principal.actor, case_id, sanction, note=note, now=utcnow()
        )

    return _step(request, principal, session, case_id, "sanctions", work)


@router.post(PAGE + "/{case_id}/finalise")
def finalise(
    request: Request,
    case_id: int,
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        misconduct.finalise(session, principal.actor, case_id, now=utcnow())

    return _step(request, principal, session, case_id, "finalise", work)


@router.post(PAGE + "/{case_id}/dismiss")
def dismiss(
    request: Request,
    case_id: int,
    reason: str = Form(""),
    principal: Principal = CASE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        misconduct.dismiss(session, principal.actor, case_id, reason=reason, now=utcnow())

    return _step(request, principal, session, case_id, "dismiss", work)


@router.post(PAGE + "/{case_id}/rectification")
def rectification(
    request: Request,
    case_id: int,
    title: str = Form(""),
    detail: str = Form(""),
    evidence_required: str = Form(""),
    due_days: str = Form(""),
    principal: Principal = CASE_AND_ISSUE,
    session: Session = DbSession,
) -> Response:
    def work() -> None:
        days = ascii_int(due_days)
        if days is None:
            raise InvalidInput("enter the number of working days", "due_days")
        misconduct_rectification.open_rectification(
            session,
            principal.actor,
            case_id,
            title=title,
            detail=detail,
            evidence_required=evidence_required,
            due_days=days,
            now=utcnow(),
        )

    return _step(request, principal, session, case_id, "rectification", work)
