"""The cockpit (驾驶舱): `/cockpit` (the page: headline, league table of the children with their
drill-down, daily trend chart, outlets furthest from target, alerts) and `/cockpit/export.xlsx`
(the same view as a workbook).

Both take `unit` (a unit's code; the viewer's own unit when absent), `from` and `to` (local
days, both included; the last 28 days to yesterday by default), `sort` (a measure of the league
table) and `order` (`desc` or `asc`), and show only the viewer's own subtree: a unit outside it
is a 404. No SQL here: `cockpit.overview` computes the figures from the roll-ups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi import spreadsheet
from manyi.cockpit import overview as pages_data
from manyi.cockpit import queries
from manyi.cockpit.domain.figures import GUIDANCE_CHANNELS, SORTABLE, Period, Totals
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput
from manyi.org.model import Permission
from manyi.parsing import optional_date
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
DEFAULT_DAYS = 28


def _view(request: Request, principal: Principal, session: Session) -> pages_data.Overview:
    settings = request.app.state.settings
    params = request.query_params
    yesterday = utcnow().astimezone(settings.zone).date() - dt.timedelta(days=1)
    last = optional_date(params.get("to", ""), "to") or yesterday
    first = optional_date(params.get("from", ""), "from") or last - dt.timedelta(
        days=DEFAULT_DAYS - 1
    )
    sort = params.get("sort", "") or "wait_mean_s"
    if sort not in SORTABLE:
        raise InvalidInput("sort: one of {names}", "sort", names=", ".join(SORTABLE))
    order = params.get("order", "") or "desc"
    if order not in ("asc", "desc"):
        raise InvalidInput("order: asc or desc", "order")
    unit_id = pages_data.unit_by_code(session, principal.unit_path, params.get("unit", "")[:32])
    return pages_data.overview(
        session,
        principal.unit_path,
        unit_id,
        Period(first, last),
        queries.targets_of(settings),
        sort=sort,
        descending=order == "desc",
        tz=settings.timezone,
    )


def _params(view: pages_data.Overview, **changes: str) -> str:
    params = {
        "unit": view.unit.code,
        "from": view.period.first.isoformat(),
        "to": view.period.last.isoformat(),
        "sort": view.sort,
        "order": "desc" if view.descending else "asc",
    }
    params.update(changes)
    return urlencode({k: v for k, v in params.items() if v})


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def chart_data(view: pages_data.Overview, _: Translate) -> dict[str, Any]:
    """The trend chart's series (embedded in the page, read by static/js/cockpit.js)."""
    return {
        "days": [d.isoformat() for d, _t in view.trend],
        "wait": [_minutes(t.wait_mean_s) for _d, t in view.trend],
        "p90": [_minutes(t.wait_p90_s) for _d, t in view.trend],
        "level": [_percent(t.service_level) for _d, t in view.trend],
        "target_wait": _minutes(view.goal.wait_mean_s),
        "labels": {
            "wait": _("Mean wait (min)"),
            "p90": _("90th percentile wait (min)"),
            "level": _("Service level (%)"),
            "target": _("Target"),
        },
    }


@router.get("/cockpit")
def cockpit_page(
    request: Request,
    principal: Principal = require(Permission.COCKPIT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    view = _view(request, principal, session)  # a bad parameter: the app's 422, unknown unit 404
    context: dict[str, Any] = {
        "view": view,
        "measures": measure_names(_),
        "levels": level_names(_),
        "chart": chart_data(view, _),
        "params": lambda **c: _params(view, **c),
        "export_url": "/cockpit/export.xlsx?" + _params(view),
        "minutes": _minutes,
        "percent": _percent,
    }
    return render(request, "cockpit/overview.html", context)


def _row(name: str, t: Totals) -> list[Any]:
    return [
        name,
        t.get("issued"),
        t.get("served"),
        _minutes(t.wait_mean_s),
        _minutes(t.wait_p90_s),
        _percent(t.service_level),
        _percent(t.abandonment),
        _percent(t.satisfaction),
        t.get("complaints"),
        None if t.complaints_per_outlet is None else round(t.complaints_per_outlet, 2),
        t.forms_saved,
        _percent(t.utilisation),
        t.get("guided"),
        t.get("diverted"),
        _percent(t.diversion_rate),
        t.get("taught"),
        None
        if t.get("wait_avoided_s") is None
        else round((t.get("wait_avoided_s") or 0) / 3600, 1),
        *[t.get(name) for name in GUIDANCE_CHANNELS],
    ]


@router.get("/cockpit/export.xlsx")
def cockpit_export(
    request: Request,
    principal: Principal = require(Permission.COCKPIT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    view = _view(request, principal, session)
    names = measure_names(_)
    headers = [
        _("Unit"), _("Tickets issued"), _("Served"), names["wait_mean_s"], names["wait_p90_s"],
        names["service_level"], names["abandonment"], names["satisfaction"], _("Complaints"),
        names["complaints_per_outlet"], names["forms_saved"], names["utilisation"],
        _("Customers met at the door"), _("Diverted"), names["diversion_rate"],
        _("Teaching sessions"), _("Waits avoided (h)"), _("Diverted to self-service machines"),
        _("Diverted to mobile banking"), _("Diverted to online banking"),
        _("Diverted to another outlet"), _("Diverted to an appointment"),
    ]  # fmt: skip
    league = [_row(f"{line.name_zh} ({line.code})", line.totals) for line in view.league]
    league.append(_row(_("Total"), view.headline))
    trend = [_row(day.isoformat(), t) for day, t in view.trend]
    far = [[f"{f.name_zh} ({f.code})", round(f.distance, 3), names.get(f.worst, f.worst)]
           for f in view.furthest]  # fmt: skip
    sheets: list[spreadsheet.Sheet] = [
        (_("Ranking by unit"), headers, league),
        (_("Trend"), [_("Day"), *headers[1:]], trend),
        (_("Furthest from target"), [_("Outlet"), _("Past target"), _("Worst measure")], far),
    ]
    if view.tellers or view.counters:  # an outlet's page: the level below the roll-ups
        sheets += below_rollups(view, _)
    body = spreadsheet.workbook(
        sheets,
        first_width=24,
        width=14,
    )
    name = (
        f"cockpit-{view.unit.code}-{view.period.first.isoformat()}-{view.period.last.isoformat()}"
    )
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


def below_rollups(view: pages_data.Overview, _: Translate) -> list[spreadsheet.Sheet]:
    """An outlet's tellers and counters (windows) as two sheets."""
    tellers = [
        [p.name, p.served, _minutes(p.service_mean_s), round(p.busy_s / 3600, 2)]
        for p in view.tellers
    ]
    counters = [
        [
            _("Counter {n}").format(n=c.number),
            ", ".join(c.tellers),
            c.served,
            _minutes(c.service_mean_s),
            None if c.open_s is None else round(c.open_s / 3600, 2),
            _percent(c.utilisation),
        ]
        for c in view.counters
    ]
    return [
        (_("Tellers"), [_("Teller"), _("Served"), _("Mean service time (min)"),
                        _("Busy time (h)")], tellers),
        (_("Counters"), [_("Counter"), _("Tellers who worked it"), _("Served"),
                         _("Mean service time (min)"), _("Hours open"), _("Utilisation (%)")],
         counters),
    ]  # fmt: skip


def measure_names(_: Translate) -> dict[str, str]:
    return {
        "wait_mean_s": _("Mean wait (min)"),
        "wait_p90_s": _("90th percentile wait (min)"),
        "service_level": _("Service level (%)"),
        "abandonment": _("Abandonment (%)"),
        "satisfaction": _("Satisfied (%)"),
        "complaints_per_outlet": _("Complaints per outlet"),
        "complaint_rate": _("Complaints per 10,000 served"),
        "served": _("Served"),
        "forms_saved": _("Forms saved"),
        "utilisation": _("Teller utilisation (%)"),
        "diversion_rate": _("Diverted at the door (%)"),
    }


def level_names(_: Translate) -> dict[str, str]:
    return {
        "head_office": _("Head office"),
        "tier1_branch": _("Tier-1 branch"),
        "tier2_branch": _("Tier-2 branch"),
        "outlet": _("Outlet"),
    }
