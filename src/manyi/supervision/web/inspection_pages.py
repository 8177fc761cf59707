"""Inspection results (`/supervision/inspections`): the visits of a period at the outlets in
the viewer's scope, their scores, the league table of outlets, each outlet's monthly mean (an
ECharts line, static/js/inspections.js), the visits still to fill, and the Excel export of the
same view (`/supervision/inspections/export.xlsx`). An inspector starts a visit here too.

Parameters: `from`, `to` (dates; the last six months by default), `outlet` (a code).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, NotFound, Term
from manyi.org.model import Permission
from manyi.supervision import inspection_rechecks, inspections
from manyi.supervision.inspection_queries import Results, outlets_in_scope, results
from manyi.supervision.web import inspection_words as words
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/supervision/inspections", include_in_schema=False)
MAX_DAYS = 3 * 366


def _today(request: Request) -> dt.date:
    return utcnow().astimezone(request.app.state.settings.zone).date()


# The filter's labels name a bad date in the reader's language.
LABELS = {"from": "From (date)", "to": "To (date)"}


def _date(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "{name}: a date like 2026-03-01", field, name=Term(LABELS[field])
        ) from None


def _figures(request: Request, principal: Principal, session: Session) -> Results:
    params = request.query_params
    today = _today(request)
    end = _date(params.get("to", ""), "to") or today
    first = (end.replace(day=1) - dt.timedelta(days=150)).replace(day=1)  # six months
    start = _date(params.get("from", ""), "from") or first
    if start > end:
        raise InvalidInput("from: the period starts after it ends", "from")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput("a period of at most three years, please", "from")
    outlet = params.get("outlet", "").strip()[:32]
    return results(session, principal.unit_path, start, end, request_language(request), outlet)


@router.get("")
def results_page(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    figures = _figures(request, principal, session)
    query = {"from": figures.start.isoformat(), "to": figures.end.isoformat()}
    if request.query_params.get("outlet"):
        query["outlet"] = request.query_params["outlet"].strip()[:32]
    chart = {
        "months": figures.months,
        "series": [{"name": name, "data": data} for name, data in figures.trend.items()],
        "label": _("Mean inspection score"),
    }
    can_inspect = principal.can(Permission.SUPERVISION_INSPECT)
    lang = request_language(request)
    context: dict[str, Any] = {
        "title": _("Inspections"),
        "figures": figures,
        "words": words,
        "chart": chart,
        "export_url": "/supervision/inspections/export.xlsx?" + urlencode(query),
        "outlet": query.get("outlet", ""),
        "outlets": outlets_in_scope(session, principal.unit_path, lang) if can_inspect else [],
        "can_inspect": can_inspect,
        "rechecks": (
            inspection_rechecks.waiting_rechecks(session, principal.unit_path)
            if can_inspect
            else []
        ),
        "task_url": words.TASK_URL,
        "today": _today(request).isoformat(),
    }
    return render(request, "supervision/inspections.html", context)


@router.get("/export.xlsx")
def export(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    figures = _figures(request, principal, session)
    body = spreadsheet.workbook(_sheets(figures, _))
    name = f"inspections-{figures.start.isoformat()}-{figures.end.isoformat()}"
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


def _sheets(figures: Results, _: Translate) -> list[spreadsheet.Sheet]:
    visits = [
        [
            v.planned_on.isoformat(),
            v.outlet_code,
            v.outlet_name,
            _(words.KINDS[v.kind]),
            _(words.STATES[v.state]),
            v.inspector,
            v.score,
            _("yes") if v.critical_failed else "",
        ]
        for v in figures.visits
    ]
    league = [
        [r.rank, r.outlet_code, r.outlet_name, r.visits, r.mean, r.lowest, r.critical]
        for r in figures.league
    ]
    trend = [[name, *values] for name, values in figures.trend.items()]
    return [
        (
            _("Inspection visits"),
            [
                _("Visit day"),
                _("Outlet (code)"),
                _("Outlet"),
                _("Kind"),
                _("State"),
                _("Inspected by"),
                _("Inspection score"),
                _("Critical failure"),
            ],
            visits,
        ),
        (
            _("League table"),
            [
                _("League rank"),
                _("Outlet (code)"),
                _("Outlet"),
                _("Inspection visits"),
                _("Mean inspection score"),
                _("Lowest inspection score"),
                _("Critical failures"),
            ],
            league,
        ),
        (_("Monthly mean"), [_("Outlet"), *figures.months], trend),
    ]


@router.post("")
def start_visit(
    request: Request,
    outlet: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "scheduled",
    planned_on: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.SUPERVISION_INSPECT),
    session: Session = DbSession,
) -> Response:
    """Plan a visit (today by default) and open its scorecard; the inspector fills it."""
    lang = request_language(request)
    chosen = {o.code: o.id for o in outlets_in_scope(session, principal.unit_path, lang)}
    if outlet.strip() not in chosen:
        raise NotFound("there is no outlet {code} in your scope", "outlet", code=outlet[:32])
    day = _date(planned_on, "planned_on") or _today(request)
    visit_id = inspections.schedule_visit(
        session,
        principal.actor,
        outlet_id=chosen[outlet.strip()],
        kind=kind,
        planned_on=day,
        inspector_id=principal.id if kind != "mystery" else None,
        now=utcnow(),
    )
    return RedirectResponse(f"/supervision/inspections/{visit_id}", status_code=303)


@router.post("/rechecks/{task_id}")
def plan_recheck(
    request: Request,
    task_id: int,
    principal: Principal = require(Permission.SUPERVISION_INSPECT),
    session: Session = DbSession,
) -> Response:
    """Plan the re-check a verified task waits for (today) and open its scorecard."""
    visit_id = inspection_rechecks.schedule_recheck(
        session, principal.actor, task_id, planned_on=_today(request), now=utcnow()
    )
    return RedirectResponse(f"/supervision/inspections/{visit_id}", status_code=303)
