"""The complaint analysis page (投诉分析): `/insight/complaints` (HTML, its figures embedded as
JSON for the charts of static/js/insight_complaints.js), `/insight/complaints/export.xlsx` (the
same view as a workbook) and `/insight/complaints/regulator.xlsx|csv` (the quarter's counts by
region × business type × cause, JR/T 0169).

All take the same parameters — kind, from, to, compare, level, by — and show only the viewer's
own subtree. No SQL here: `insight.analysis_report` computes the figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.insight import analysis_report, regulator
from manyi.insight.analysis import UNCLASSIFIED, Dimension, KeyRow, PeriodRow
from manyi.insight.analysis_report import Query, Report
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind, spans
from manyi.org.model import Permission
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

# The workbench's filter for each dimension (complaints/web/workbench.py: parse_filters).
_DRILL = {
    Dimension.BUSINESS_TYPE: "business",
    Dimension.CAUSE: "cause",
    Dimension.CHANNEL: "channel",
    Dimension.APPEAL: "appeal",
    Dimension.INTAKE: "intake",
    Dimension.PRODUCT: "product",
    Dimension.CATEGORY: "issue",
}


def _choice(params: dict[str, str], name: str, kind: Any, default: Any) -> Any:
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise InvalidInput("{name}: one of {names}", name, name=name, names=names) from None


def _date(params: dict[str, str], name: str) -> dt.date | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("{name}: a date like 2026-03-01", name, name=name) from None


def parse_query(params: dict[str, str], principal: Principal, today: dt.date) -> Query:
    """The page's parameters, checked: a bad one is a 422 naming it."""
    start, end = analysis_report.default_range(today)
    start = _date(params, "from") or start
    end = _date(params, "to") or end
    if end < start:
        raise InvalidInput("to: the end of the range is before its start", "to")
    kind = _choice(params, "kind", PeriodKind, PeriodKind.MONTH)
    try:
        spans(start, end, kind)
    except ValueError as exc:
        raise InvalidInput("kind: {reason}", "kind", reason=str(exc)) from None
    compare_text = params.get("compare", "").strip()
    compare = None if compare_text == "none" else _choice(params, "compare", Compare, Compare.YOY)
    return Query(
        start,
        end,
        kind,
        compare,
        _choice(params, "level", Level, analysis_report.default_level(principal.unit_level)),
        _choice(params, "by", Dimension, Dimension.BUSINESS_TYPE),
    )


def _params(query: Query, **changes: str) -> str:
    values = {
        "kind": query.kind.value,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "compare": query.compare.value if query.compare else "none",
        "level": query.level.value,
        "by": query.dimension.value,
        **changes,
    }
    return urlencode(values)


def _cases_url(first: dt.date, last: dt.date, **filters: object) -> str:
    values = {"tab": "scope", "received_from": first.isoformat(), "received_to": last.isoformat()}
    values.update({k: str(v) for k, v in filters.items()})
    return "/complaints?" + urlencode(values)


def row_url(row: KeyRow, query: Query, dimension: Dimension) -> str | None:
    """The workbench listing the cases behind a bar or a row (None for 未分类: the workbench
    cannot filter on an empty classification)."""
    if dimension is Dimension.UNIT:
        return _cases_url(query.start, query.end, unit_id=row.unit_id)
    if row.key == UNCLASSIFIED:
        return None
    return _cases_url(query.start, query.end, **{_DRILL[dimension]: row.key})


def period_url(row: PeriodRow) -> str:
    return _cases_url(row.span.first, row.span.last)


def _report(request: Request, principal: Principal, session: Session) -> Report:
    settings = request.app.state.settings
    today = utcnow().astimezone(settings.zone).date()
    query = parse_query(dict(request.query_params), principal, today)
    return analysis_report.build(
        session, principal.unit_path, query, settings.timezone, request_language(request)
    )


def labels(_: Translate) -> dict[str, dict[str, str]]:
    return {
        "kind": {
            "day": _("By day"),
            "week": _("By week"),
            "month": _("By month"),
            "quarter": _("By quarter"),
            "year": _("By year"),
        },
        "compare": {
            "yoy": _("Year on year"),
            "mom": _("Previous period"),
            "none": _("No comparison"),
        },
        "level": {
            "head": _("Head office"),
            "tier1": _("Tier-1 branches"),
            "tier2": _("Tier-2 branches"),
            "outlet": _("Outlets"),
        },
        "by": {
            "business_type": _("Business type"),
            "cause": _("Cause"),
            "channel": _("Channel"),
            "appeal": _("Appeal"),
            "intake": _("Intake"),
            "product": _("Product"),
            "category": _("Prominent issue"),
            "unit": _("Responsible unit"),
        },
    }


def chart_data(report: Report, _: Translate) -> dict[str, Any]:
    query = report.query
    bars = report.breakdown[:20]
    return {
        "trend": {
            "labels": [r.span.label for r in report.trend],
            "current": [r.count for r in report.trend],
            "previous": [r.previous for r in report.trend],
            "urls": [period_url(r) for r in report.trend],
        },
        "bars": {
            "labels": [r.name for r in bars],
            "current": [r.count for r in bars],
            "previous": None
            if query.compare is None
            else [r.previous.count if r.previous else 0 for r in bars],
            "urls": [row_url(r, query, query.dimension) for r in bars],
        },
        "labels": {
            "current": _("This period"),
            "last_year": _("Same period last year"),
            "previous": labels(_)["compare"][query.compare.value if query.compare else "none"],
        },
    }


@router.get("/insight/complaints")
def analysis_page(
    request: Request,
    principal: Principal = require(Permission.INSIGHT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        report = _report(request, principal, session)
    except ManyiError as exc:
        failed = {"error": exc.text(_), "report": None, "labels": labels(_)}
        return render(request, "insight/complaints_analysis.html", failed, exc.status_code)
    query = report.query
    settings = request.app.state.settings
    today = utcnow().astimezone(settings.zone).date()
    context: dict[str, Any] = {
        "report": report,
        "query": query,
        "labels": labels(_),
        "chart_data": chart_data(report, _),
        "row_url": lambda row, dimension: row_url(row, query, dimension),
        "period_url": period_url,
        "export_url": "/insight/complaints/export.xlsx?" + _params(query),
        "quarter": regulator.last_full_quarter(today),
        "kinds": list(PeriodKind),
        "compares": ["yoy", "mom", "none"],
        "levels": list(Level),
        "dimensions": [d for d in Dimension if d is not Dimension.UNIT],
        "unit_dimension": Dimension.UNIT,
    }
    return render(request, "insight/complaints_analysis.html", context)


def _pct(value: float | None) -> object:
    return "" if value is None else value


@router.get("/insight/complaints/export.xlsx")
def analysis_export(
    request: Request,
    principal: Principal = require(Permission.INSIGHT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    report = _report(request, principal, session)  # a bad parameter: the app's 422 page
    query = report.query
    names = labels(_)
    trend = [[r.span.label, r.count, r.previous, _pct(r.change_pct)] for r in report.trend]
    change = _("Change %")
    previous = names["compare"][query.compare.value if query.compare else "none"]

    def cells(r: KeyRow) -> list[object]:
        before = r.previous.count if r.previous is not None else ""
        return [r.key, r.name, r.count, before, _pct(r.change_pct)]

    league = [
        [
            *cells(r),
            r.outlets,
            _pct(r.per_outlet),
            r.customers,
            _pct(r.per_10k),
            _pct(r.upheld_share),
            _pct(r.overdue_share),
            _pct(r.disputed_share),
        ]
        for r in [*report.league, report.total]
    ]
    body = spreadsheet.workbook(
        [
            (
                _("Trend"),
                [
                    names["kind"][query.kind.value],
                    _("Number of complaints"),
                    _("Same period last year"),
                    change,
                ],
                trend,
            ),
            (
                names["by"][query.dimension.value],
                [_("Code"), _("Name"), _("Number of complaints"), previous, change],
                [cells(r) for r in report.breakdown],
            ),
            (
                names["level"][query.level.value],
                [
                    _("Code"),
                    _("Name"),
                    _("Number of complaints"),
                    previous,
                    change,
                    _("Outlets"),
                    _("Per outlet"),
                    _("Customers served"),
                    _("Per 10,000 customers"),
                    _("Upheld share"),
                    _("Overdue share"),
                    _("Disputed share"),
                ],
                league,
            ),
        ],
        first_width=16,
        width=14,
    )
    name = f"complaints-{principal.unit_code}-{query.start.isoformat()}-{query.end.isoformat()}"
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _regulator_lines(
    request: Request, principal: Principal, session: Session
) -> tuple[str, list[regulator.Line]]:
    settings = request.app.state.settings
    today = utcnow().astimezone(settings.zone).date()
    quarter = request.query_params.get("quarter", "").strip() or regulator.last_full_quarter(today)
    try:
        regulator.parse_quarter(quarter)
    except ValueError:
        raise InvalidInput("quarter: a quarter like 2026-Q3", "quarter") from None
    lines = regulator.quarter_counts(
        session, principal.unit_path, quarter, settings.timezone, request_language(request)
    )
    return quarter, lines


def _regulator_headers(_: Translate) -> list[str]:
    return [
        _("Region code"),
        _("Region (tier-1 branch)"),
        _("Business type code"),
        _("Business type"),
        _("Cause code"),
        _("Cause"),
        _("Number of complaints"),
    ]


def _line_cells(x: regulator.Line) -> list[object]:
    return [x.region_code, x.region, x.business_code, x.business, x.cause_code, x.cause, x.count]


@router.get("/insight/complaints/regulator.xlsx")
def regulator_xlsx(
    request: Request,
    principal: Principal = require(Permission.INSIGHT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    quarter, lines = _regulator_lines(request, principal, session)
    cross_headers, cross_rows = regulator.cross_table(lines)
    cross_headers[0], cross_headers[-1] = _("Business type"), _("Total")
    if cross_rows:
        cross_rows[-1][0] = _("Total")
    body = spreadsheet.workbook(
        [
            (quarter, _regulator_headers(_), [_line_cells(x) for x in lines]),
            (_("Business type × cause"), cross_headers, cross_rows),
        ],
        first_width=14,
        width=16,
    )
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="complaints-regulator-{quarter}.xlsx"'
        },
    )


@router.get("/insight/complaints/regulator.csv")
def regulator_csv(
    request: Request,
    principal: Principal = require(Permission.INSIGHT_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    quarter, lines = _regulator_lines(request, principal, session)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_regulator_headers(_))
    for x in lines:
        writer.writerow([spreadsheet.safe_cell(c) for c in _line_cells(x)])
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),  # with a BOM: Excel reads it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="complaints-regulator-{quarter}.csv"'
        },
    )
