"""The satisfaction page (满意度): `/quality` (HTML), `/quality/data.json` (the same figures for
the charts, read by static/js/quality.js) and `/quality/export.xlsx` (the current view).

All three take the same parameters — unit (focus code), by, period, from, to, teller — and
show only the viewer's own subtree. No SQL here: `quality.overview` computes the figures.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.parsing import optional_date
from manyi.quality.domain.measures import SMALL_SAMPLE_N
from manyi.quality.domain.periods import Period
from manyi.quality.overview import By, Overview, Query, overview
from manyi.quality.rows import Row
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)


def parse_query(params: dict[str, str]) -> Query:
    """The page's parameters, checked: a bad one is a 422 naming it."""
    by_text, period_text = params.get("by", ""), params.get("period", "") or "month"
    try:
        by = By(by_text) if by_text else None
    except ValueError:
        raise InvalidInput("by: one of {names}", "by", names=", ".join(By)) from None
    try:
        period = Period(period_text)
    except ValueError:
        raise InvalidInput("period: one of {names}", "period", names=", ".join(Period)) from None
    return Query(
        unit=params.get("unit", "").strip()[:32],
        by=by,
        period=period,
        start=optional_date(params.get("from", ""), "from"),
        end=optional_date(params.get("to", ""), "to"),
        teller=params.get("teller", "").strip()[:64],
    )


def _figures(request: Request, principal: Principal, session: Session) -> Overview:
    settings = request.app.state.settings
    query = parse_query(dict(request.query_params))
    today = utcnow().astimezone(settings.zone).date()
    return overview(
        session,
        principal.unit_path,
        query,
        tz=settings.timezone,
        today=today,
        lang=request_language(request),
    )


def _params(figures: Overview, **changes: str) -> str:
    params = {
        "unit": figures.focus.code,
        "by": figures.by.value,
        "period": figures.period.value,
        "from": figures.start.isoformat(),
        "to": figures.end.isoformat(),
    }
    if figures.teller is not None:
        params["teller"] = figures.teller[0]
    params.update(changes)
    return urlencode({k: v for k, v in params.items() if v})


def drill_url(row: Row, figures: Overview) -> str | None:
    if row.drill is None:
        return None
    params = {
        "period": figures.period.value,
        "from": figures.start.isoformat(),
        "to": figures.end.isoformat(),
        **row.drill,
    }
    return "/quality?" + urlencode(params)


@router.get("/quality")
def quality_page(
    request: Request,
    principal: Principal = require(Permission.QUALITY_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        figures = _figures(request, principal, session)
    except ManyiError as exc:
        failed: dict[str, Any] = {"error": exc.text(_), "figures": None, "labels": labels(_)}
        return render(request, "quality/overview.html", failed, exc.status_code)
    context: dict[str, Any] = {
        "figures": figures,
        "labels": labels(_),
        "drill_url": lambda row: drill_url(row, figures),
        "chart_data": _chart_data(request, figures),
        "export_url": "/quality/export.xlsx?" + _params(figures),
        "params": lambda **c: _params(figures, **c),
        "small_n": SMALL_SAMPLE_N,
        "bys": list(By),
        "periods": list(Period),
    }
    return render(request, "quality/overview.html", context)


@router.get("/quality/data.json")
def quality_data(
    request: Request,
    principal: Principal = require(Permission.QUALITY_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        figures = _figures(request, principal, session)
    except ManyiError as exc:
        body = {"error": exc.error_code, "field": exc.field, "message": exc.text(_)}
        return JSONResponse(body, status_code=exc.status_code)
    return JSONResponse(
        _chart_data(request, figures), headers={"Cache-Control": "private, no-store"}
    )


def _chart_data(request: Request, figures: Overview) -> dict[str, Any]:
    """The figures as JSON, with each row's drill-down link: `data.json`, and the page's own
    charts (embedded in it, so a page view computes the figures once)."""
    _ = translator(request_language(request))
    data: dict[str, Any] = figures.as_json(request_language(request))
    for row, source in zip(data["rows"], figures.rows, strict=True):
        row["url"] = drill_url(source, figures)
    data["labels"] = {"csat": _("CSAT"), "nps": "NPS", "ces": "CES", "pad": _("Rating pad")}
    return data


@router.get("/quality/export.xlsx")
def quality_export(
    request: Request,
    principal: Principal = require(Permission.QUALITY_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    figures = _figures(request, principal, session)  # a bad parameter: the app's 422 page
    headers = [
        labels(_)["by"][figures.by.value],
        _("Responses"),
        _("CSAT (4–5)"),
        _("95 % interval"),
        _("CSAT mean"),
        "NPS",
        _("95 % interval"),
        _("CES mean"),
        _("CSAT change"),
        _("Significant"),
        _("NPS change"),
        _("Significant"),
        _("Response rate"),
        _("Small sample"),
    ]
    sheet_rows = [_cells(r, _) for r in figures.rows] + [_cells(figures.total, _, _("Total"))]
    pad_rows = [_cells(r, _) for r in figures.pad_rows] + [_cells(figures.pad_total, _, _("Total"))]
    trend = [_cells(r, _) for r in figures.trend]
    trend_headers = [labels(_)["period"][figures.period.value], *headers[1:]]
    themes = [[t.name, t.count, *t.examples] for t in figures.themes]  # examples are masked already
    body = spreadsheet.workbook(
        [
            (_("Satisfaction"), headers, sheet_rows),
            (_("Rating pad"), headers, pad_rows),
            (_("Trend"), trend_headers, trend),
            (_("What customers write about"), [_("Theme"), _("Comments"), _("Examples")], themes),
        ],
        first_width=24,
        width=16,
    )
    name = f"quality-{figures.focus.code}-{figures.start.isoformat()}-{figures.end.isoformat()}"
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


def _cells(row: Row, _: Translate, label: str | None = None) -> list[Any]:
    data = row.as_json()

    def value(name: str) -> Any:
        found = data[name]
        return None if found is None else found["value"]

    def interval(name: str) -> str:
        found = data[name]
        if found is None or found["ci95"] is None:
            return ""
        low, high = found["ci95"]
        return f"{low} – {high}"

    def change(name: str) -> tuple[Any, str]:
        found = data[name]
        if found is None:
            return None, ""
        return found["difference"], _("yes") if found["significant"] else _("no")

    csat_change, csat_flag = change("csat_change")
    nps_change, nps_flag = change("nps_change")
    name = label or (f"{row.label} ({row.key})" if row.key and row.key != row.label else row.label)
    return [
        name,
        row.aggregate.responses,
        value("csat"),
        interval("csat"),
        value("csat_mean"),
        value("nps"),
        interval("nps"),
        value("ces_mean"),
        csat_change,
        csat_flag,
        nps_change,
        nps_flag,
        data["response_rate"],
        _("yes") if row.small else "",
    ]


def labels(_: Translate) -> dict[str, Any]:
    return {
        "by": {
            "unit": _("Unit"),
            "outlet": _("Outlet"),
            "teller": _("Teller"),
            "service": _("Service"),
            "channel": _("Channel"),
            "trigger": _("Trigger"),
            "period": _("Period"),
        },
        "period": {
            "day": _("Day"),
            "week": _("Week"),
            "month": _("Month"),
            "quarter": _("Quarter"),
        },
        "channel": {
            "counter": _("Counter"),
            "lobby": _("Lobby"),
            "self_service": _("Self-service"),
            "phone": _("Phone"),
            "online": _("Online"),
            "mobile": _("Mobile"),
            "visit": _("Visit"),
        },
        "trigger": {
            "ticket": _("After a ticket"),
            "bundle": _("After a counter bundle"),
            "complaint": _("After a complaint"),
            "visit": _("After a visit"),
        },
    }
