"""The visits list (`/visits`), the request form (`/visits/new`) and the request's page with
its steps (approve, refuse, assign, schedule, cancel). The tablet's steps are in `onsite.py`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.special import access, intake, queries, visits
from manyi.special.domain.requests import STATES
from manyi.special.web.common import error_of, visit_page, who_of, words
from manyi.special.web.onsite import router as onsite_router
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(onsite_router)

FORM_FIELDS = (
    "source",
    "outlet_code",
    "customer_name",
    "id_number",
    "place_kind",
    "place_text",
    "need",
    "reason",
    "evidence",
    "amount",
    "relative_name",
    "relation",
    "phone",
    "complaint_reference",
)


@router.get("/visits")
def visits_page(
    request: Request,
    state: str = "",
    outlet: str = "",
    principal: Principal = require(Permission.VISITS_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    who = who_of(principal)
    context: dict[str, Any] = {
        "title": _("Home and hospital visits"),
        "rows": queries.visits(session, who, state, outlet[:40]),
        "states": STATES,
        "state": state if state in STATES else "",
        "outlets": queries.outlets(session, who),
        "outlet": outlet,
        **words(request),
    }
    return render(request, "special/visits.html", context)


@router.get("/visits/export.xlsx")
def export_visits(
    request: Request,
    state: str = "",
    outlet: str = "",
    principal: Principal = require(Permission.VISITS_VIEW),
    session: Session = DbSession,
) -> Response:
    """The list as the page shows it, as an Excel workbook (customers masked)."""
    _ = translator(request_language(request))
    labels = words(request)
    zone = request.app.state.settings.zone
    headers = [
        _("Visit reference"),
        _("Outlet"),
        _("Branch above"),
        _("Customer"),
        _("Place"),
        _("Need"),
        _("State"),
        _("Requested"),
        _("Visit date"),
        _("Hours to approval"),
        _("Hours to visit"),
    ]

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    rows = [
        [
            v.reference,
            v.outlet,
            v.branch,
            v.customer,
            labels["places"].get(v.place_kind, v.place_kind),
            labels["needs"].get(v.need, v.need),
            _("visit:" + v.state),
            local(v.requested_at),
            local(v.visit_at),
            v.to_approval_h,
            v.to_visit_h,
        ]
        for v in queries.visits(session, who_of(principal), state, outlet[:40])
    ]
    body = spreadsheet.workbook([(_("Home and hospital visits"), headers, rows)], width=16)
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="visits.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


def _form(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    context: dict[str, Any] = {
        "title": _("New visit request"),
        "values": values,
        "outlets": queries.outlets(session, who_of(principal)),
        "error": "",
        "field": "",
        **words(request),
    }
    context.update(extra)
    return render(request, "special/request_form.html", context, status)


@router.get("/visits/new")
def new_visit(
    request: Request,
    principal: Principal = require(Permission.VISITS_REQUEST),
    session: Session = DbSession,
) -> Response:
    values = {"source": "phone", "outlet_code": principal.unit_code}
    complaint = request.query_params.get("complaint", "")
    if complaint:
        values.update(source="complaint", complaint_reference=complaint[:40])
    return _form(request, session, principal, values)


@router.post("/visits/new")
async def create_visit(
    request: Request,
    principal: Principal = require(Permission.VISITS_REQUEST),
    session: Session = DbSession,
) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    try:
        visit = intake.create_request(
            session, who_of(principal), intake.RequestFields(**values), utcnow()
        )
    except ManyiError as exc:
        session.rollback()
        return _form(request, session, principal, values, exc.status_code, **error_of(request, exc))
    return RedirectResponse(f"/visits/{visit.reference}", status_code=303)


@router.get("/visits/{reference}")
def visit_detail(
    request: Request,
    reference: str,
    principal: Principal = require(Permission.VISITS_VIEW),
    session: Session = DbSession,
) -> Response:
    visit = access.load(session, who_of(principal), reference)
    return visit_page(request, session, visit, "special/visit.html")


def _step(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    run: Any,
) -> Response:
    """Run one step; on a refusal show the request page again with the message."""
    try:
        run()
    except ManyiError as exc:
        session.rollback()
        visit = access.load(session, who_of(principal), reference)
        return visit_page(
            request,
            session,
            visit,
            "special/visit.html",
            exc.status_code,
            **error_of(request, exc),
        )
    return RedirectResponse(f"/visits/{reference}", status_code=303)


APPROVE = require(Permission.VISITS_APPROVE)


@router.post("/visits/{reference}/approve")
def approve(
    request: Request, reference: str, principal: Principal = APPROVE, session: Session = DbSession
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        reference,
        lambda: intake.approve_request(session, who, reference, utcnow()),
    )


@router.post("/visits/{reference}/refuse")
def refuse(
    request: Request,
    reference: str,
    reason_text: Annotated[str, Form()] = "",
    principal: Principal = APPROVE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        reference,
        lambda: intake.refuse_request(session, who, reference, reason_text, utcnow()),
    )


@router.post("/visits/{reference}/assign")
async def assign(
    request: Request, reference: str, principal: Principal = APPROVE, session: Session = DbSession
) -> Response:
    form = await request.form()
    who = who_of(principal)

    def run() -> None:
        ids = []
        for value in form.getlist("staff"):
            if str(value).strip():
                if not str(value).isdigit():
                    raise InvalidInput("choose the staff from the list", "staff")
                ids.append(int(str(value)))
        visits.assign_staff(session, who, reference, ids, utcnow())

    return _step(request, session, principal, reference, run)


@router.post("/visits/{reference}/schedule")
def schedule(
    request: Request,
    reference: str,
    visit_at: Annotated[str, Form()] = "",
    principal: Principal = APPROVE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    zone = request.app.state.settings.zone

    def run() -> None:
        try:
            local = dt.datetime.fromisoformat(visit_at.strip())
        except ValueError:
            raise InvalidInput(
                "give the date and time agreed with the family", "visit_at"
            ) from None
        when = local.replace(tzinfo=zone) if local.tzinfo is None else local
        visits.schedule(session, who, reference, when.astimezone(dt.UTC), utcnow())

    return _step(request, session, principal, reference, run)


@router.post("/visits/{reference}/cancel")
def cancel(
    request: Request,
    reference: str,
    reason_text: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.VISITS_REQUEST),
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        reference,
        lambda: intake.cancel_request(session, who, reference, reason_text, utcnow()),
    )
