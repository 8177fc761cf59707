"""The complaint workbench (投诉工作台): tabs, filters, pages, Excel export, bulk reassignment.

Thin: parse the query, call `queries` and `handling`, render. The other complaint pages live
in `cases` (a case), `actions` and `side_actions` (its actions), `register`, `supervision`
(supervision board, consultations) and `settings`; `router` gathers them all, fixed
paths before `/complaints/{complaint_id}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from manyi.complaints import access, categories, handling, queries, staff_queries
from manyi.complaints.access import Caller
from manyi.complaints.adapters import xlsx_export
from manyi.complaints.domain.model import OPEN_STATES, State, TransitionError
from manyi.complaints.domain.taxonomy import Axis
from manyi.complaints.queries import EXPORT_CAP, Filters, Tab
from manyi.complaints.web.common import (
    caller_of,
    category_label,
    category_options,
    countdown,
    error_text,
    flag_name,
    intake_name,
    local,
    page,
    state_labels,
)
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org import service as unit_service
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require

workbench = APIRouter(prefix="/complaints", include_in_schema=False)

_FILTER_KEYS = (
    "tab",
    "state",
    "channel",
    "business",
    "cause",
    "appeal",
    "unit_id",
    "overdue",
    "received_from",
    "received_to",
    "q",
)
_STATES = {"open", *(s.value for s in State)}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# A filter date outside these is malformed: past them, a day's bounds in a time zone overflow.
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


def _date(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and _FIRST_DAY <= day <= _LAST_DAY else None


def parse_filters(params: dict[str, str], caller: Caller) -> Filters:
    """Filters from a query string; unknown or malformed values are ignored, not refused."""
    tabs = queries.tabs_for(caller)
    try:
        tab = Tab(params.get("tab", ""))
    except ValueError:
        tab = tabs[0]
    if tab not in tabs:
        tab = tabs[0]
    state = params.get("state", "")
    return Filters(
        tab=tab,
        state=state if state in _STATES else "",
        channel=params.get("channel", "").strip()[:64],
        business=params.get("business", "").strip()[:64],
        cause=params.get("cause", "").strip()[:64],
        appeal=params.get("appeal", "").strip()[:64],
        issue=params.get("issue", "").strip()[:64],
        intake=params.get("intake", "").strip()[:20],
        product=params.get("product", "").strip()[:300],
        unit_id=_int(params.get("unit_id")),
        overdue=params.get("overdue", "") in ("1", "on", "true"),
        received_from=_date(params.get("received_from")),
        received_to=_date(params.get("received_to")),
        q=params.get("q", "").strip()[:100],
        page=max(1, _int(params.get("page")) or 1),
    )


def query_of(filters: Filters, **changes: Any) -> str:
    """The query string that reproduces `filters` (empty values left out)."""
    values: dict[str, Any] = {
        "tab": filters.tab.value,
        "state": filters.state,
        "channel": filters.channel,
        "business": filters.business,
        "cause": filters.cause,
        "appeal": filters.appeal,
        "issue": filters.issue,
        "intake": filters.intake,
        "product": filters.product,
        "unit_id": filters.unit_id or "",
        "overdue": "1" if filters.overdue else "",
        "received_from": filters.received_from.isoformat() if filters.received_from else "",
        "received_to": filters.received_to.isoformat() if filters.received_to else "",
        "q": filters.q,
        "page": filters.page if filters.page > 1 else "",
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _options(session: Session, principal: Principal, lang: str) -> dict[str, Any]:
    units = unit_service.units_in_scope(session, principal.scope)
    base = principal.unit_path.count("/")
    return {
        "axis_options": {axis.value: category_options(session, axis, lang) for axis in Axis},
        "units": [(u, u.path.count("/") - base) for u in units],
    }


def _workbench(
    request: Request,
    session: Session,
    principal: Principal,
    filters: Filters,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    lang = request_language(request)
    caller = caller_of(principal)
    now = utcnow()
    zone = request.app.state.settings.zone
    found = queries.search(session, caller, filters, now, zone)
    names = categories.names(session, lang)
    manager = caller.can(Permission.COMPLAINTS_MANAGE)
    context: dict[str, Any] = {
        "filters": filters,
        "tabs": queries.tabs_for(caller),
        "counts": queries.workbench_counts(session, caller, now),
        "found": found,
        "names": names,
        "category_label": category_label,
        "query": query_of(filters, page=""),
        "query_without": lambda key: query_of(filters, page="", **{key: ""}),
        "page_query": lambda n: query_of(filters, page=n if n > 1 else ""),
        "tab_query": lambda tab: query_of(Filters(tab=Tab(tab))),
        "bulk": manager and filters.tab is not Tab.MINE,
        "bulk_handlers": staff_queries.handlers_in_scope(session, caller) if manager else [],
        "open_states": {s.value for s in OPEN_STATES},
        "export_cap": EXPORT_CAP,
        **_options(session, principal, lang),
    }
    context.update(extra)
    return page(request, "complaints/workbench.html", context, status_code)


def _default_tab(session: Session, caller: Caller) -> Tab:
    """The first tab with something in it: my cases, then my unit's to-do, then my scope."""
    tabs = queries.tabs_for(caller)
    counts = queries.workbench_counts(session, caller, utcnow())
    if Tab.MINE in tabs and counts.mine:
        return Tab.MINE
    if counts.unit or Tab.SCOPE not in tabs:
        return Tab.UNIT if Tab.MINE not in tabs or counts.unit else Tab.MINE
    return Tab.SCOPE


@workbench.get("")
def workbench_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    caller = caller_of(principal)
    params = dict(request.query_params)
    if "tab" not in params:
        params["tab"] = _default_tab(session, caller).value
    filters = parse_filters(params, caller)
    moved = request.query_params.get("moved", "")[:32]
    return _workbench(request, session, principal, filters, moved=moved)


@workbench.get("/export.xlsx")
def export_workbench(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    caller = caller_of(principal)
    filters = parse_filters(dict(request.query_params), caller)
    now = utcnow()
    zone = request.app.state.settings.zone
    total = queries.count(session, caller, filters, now, zone)
    if total > EXPORT_CAP:
        message = _(
            "{n} complaints match: more than the {cap} an export may hold. "
            "Narrow the filter (dates, unit or state) and export again."
        ).format(n=f"{total:,}", cap=f"{EXPORT_CAP:,}")
        return _workbench(request, session, principal, filters, status_code=422, error=message)
    names = categories.names(session, lang)
    states = state_labels(_)
    headers = [
        _("Reference"),
        _("Received"),
        _("Intake channel"),
        _("Subject"),
        _("Channel"),
        _("Business type"),
        _("Cause"),
        _("Responsible unit"),
        _("Unit code"),
        _("Handler"),
        _("State"),
        _("Deadline"),
        _("Due"),
        _("Time left"),
        _("Ever overdue"),
        _("Flags"),
        _("Complainant"),
        _("Phone"),
        _("ID number"),
        _("Regulator reference"),
        _("Replied at"),
    ]

    def rows() -> Any:
        for row in queries.export_rows(session, caller, filters, now, zone):
            c = row.complaint
            person = access.complainant(caller, c)
            shown = countdown(row.status, _)
            yield [
                c.reference,
                local(c.received_at, c.timezone),
                intake_name(c.intake, lang),
                c.subject,
                category_label(names, "channel", c.channel_code),
                category_label(names, "business", c.business_code),
                category_label(names, "cause", c.cause_code),
                row.unit_name,
                row.unit_code,
                row.handler_name,
                states.get(c.state, c.state),
                shown.label,
                f"{row.status.last_day.isoformat()} 24:00",  # the due instant, as the rules say it
                shown.text if row.status.is_open else "",
                _("Yes") if c.breached or row.status.breached else "",
                "、".join(flag_name(f, lang) for f in c.flags),
                person.name,
                person.phone,
                person.id_number,
                c.regulator_ref,
                local(c.decided_at, c.timezone),
            ]

    note = "" if caller.can(Permission.COMPLAINTS_PERSONAL) else _("Personal data is masked.")
    body = xlsx_export.workbook(
        _("Complaints"),
        headers,
        rows(),
        widths=(20, 17, 12, 36, 20, 20, 24, 16, 12, 10, 10, 10, 17, 14, 8, 16, 10, 14, 20, 18, 17),
        note=note,
    )
    local_now = now.astimezone(zone)
    filename = f"{_('Complaints')}_{local_now:%Y%m%d-%H%M}.xlsx"
    return Response(
        body,
        media_type=xlsx_export.XLSX_TYPE,
        headers={
            "Content-Disposition": xlsx_export.content_disposition(filename),
            "Cache-Control": "no-store",
        },
    )


@workbench.post("/bulk-reassign")
def bulk_reassign(
    request: Request,
    complaint_ids: Annotated[list[str] | None, Form()] = None,
    handler_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    return_query: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_MANAGE),
    session: Session = DbSession,
) -> Response:
    """Reassign each chosen case on its own: one refusal does not undo the others."""
    _ = translator(request_language(request))
    caller = caller_of(principal)
    filters = parse_filters(dict(parse_qsl(return_query)), caller)
    ids = [i for i in (_int(v) for v in complaint_ids or []) if i is not None]
    target = _int(handler_id)
    if not ids or target is None:
        message = (
            _("Tick the cases to reassign.")
            if not ids
            else _("Choose the handler to give them to.")
        )
        field = "complaint_ids" if not ids else "handler_id"
        return _workbench(
            request, session, principal, filters, status_code=422, error=message, field=field
        )
    now = utcnow()
    report: list[dict[str, Any]] = []
    for complaint_id in dict.fromkeys(ids):
        reference = queries.reference_in_scope(session, caller, complaint_id)
        try:
            with session.begin_nested():
                handling.reassign(session, caller, complaint_id, now, handler_id=target, note=note)
        except (ManyiError, TransitionError) as exc:
            message, _field, _status = error_text(request, exc)
            report.append({"id": complaint_id, "reference": reference, "ok": False, "why": message})
        else:
            report.append({"id": complaint_id, "reference": reference, "ok": True, "why": ""})
    failed = sum(1 for r in report if not r["ok"])
    status = 422 if failed == len(report) else 200
    summary = _("{ok} reassigned, {failed} refused.").format(ok=len(report) - failed, failed=failed)
    return _workbench(
        request,
        session,
        principal,
        filters,
        status_code=status,
        bulk_report=report,
        bulk_summary=summary,
    )


def build_router() -> APIRouter:
    from manyi.complaints.web.actions import router as actions_router
    from manyi.complaints.web.cases import router as cases_router
    from manyi.complaints.web.praise import router as praise_router
    from manyi.complaints.web.register import router as register_router
    from manyi.complaints.web.settings import router as settings_router
    from manyi.complaints.web.side_actions import router as side_actions_router
    from manyi.complaints.web.supervision import router as admin_router

    router = APIRouter(include_in_schema=False)
    router.include_router(admin_router)
    router.include_router(settings_router)
    router.include_router(register_router)
    router.include_router(praise_router)
    router.include_router(workbench)
    router.include_router(cases_router)  # late: /complaints/{complaint_id} matches any segment
    router.include_router(actions_router)
    router.include_router(side_actions_router)
    return router


router = build_router()
