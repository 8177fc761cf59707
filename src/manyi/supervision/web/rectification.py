"""The rectification board (`/supervision/rectification`): for the viewer's scope, per child
unit of the focus (`?unit=CODE`), the open, overdue and closed tasks and the share closed on
time; a click on a row goes down the tree. Below it, the focus's tasks filtered by state,
source and overdue (`?state=`, `?source=`, `?overdue=1`), and the same view in Excel
(`/supervision/rectification/export.xlsx`). No SQL here: `rectification_queries` reads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import rectification_queries as queries
from manyi.supervision.domain.rectification import Source, TaskState
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/rectification"


def _view(request: Request, principal: Principal, session: Session) -> dict[str, Any]:
    lang = request_language(request)
    today = utcnow().astimezone(request.app.state.settings.zone).date()
    params = request.query_params
    focus = queries.focus_unit(
        session, principal.unit_path, params.get("unit", ""), principal.unit_id
    )
    filters = queries.Filters.parse(
        params.get("state", ""), params.get("source", ""), params.get("overdue", "")
    )
    return {
        "board": queries.board(session, principal.unit_path, focus, today, lang),
        "tasks": queries.task_list(session, focus, filters, today, lang),
        "filters": filters,
        "today": today,
    }


def _query(focus_code: str, filters: queries.Filters, **changes: str) -> str:
    values = {
        "unit": focus_code,
        "state": filters.state,
        "source": filters.source,
        "overdue": "1" if filters.overdue else "",
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v})


@router.get(PAGE)
def board_page(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    context: dict[str, Any] = {
        "title": _("Rectification"),
        "states": list(TaskState),
        "sources": list(Source),
        "can_issue": principal.can(Permission.SUPERVISION_ISSUE),
    }
    try:
        view = _view(request, principal, session)
    except ManyiError as exc:
        context.update(error=exc.text(_), board=None)
        return render(request, "supervision/rectification_board.html", context, exc.status_code)
    code = view["board"].focus.code
    context.update(
        view,
        query=lambda **changes: _query(code, view["filters"], **changes),
        export_url=f"{PAGE}/export.xlsx?" + _query(code, view["filters"]),
    )
    return render(request, "supervision/rectification_board.html", context)


def percent(value: object) -> object:
    return "" if value is None else value


@router.get(PAGE + "/export.xlsx")
def board_export(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    view = _view(request, principal, session)  # a bad parameter is the 4xx error page
    data = spreadsheet.workbook(_sheets(_, view))
    name = f"rectification-{view['board'].focus.code}-{view['today']:%Y%m%d}.xlsx"
    return Response(
        data,
        media_type=spreadsheet.XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _sheets(_: Translate, view: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    board: queries.Board = view["board"]
    figures = [_("Open tasks"), _("Overdue"), _("Closed"), _("Closed on time"), _("On time %")]
    units = [
        [row.code, row.name, *(row.figures[k] for k in _KEYS[:4]), percent(row.figures[_KEYS[4]])]
        for row in board.rows
    ]
    total = board.total
    units.append(["", _("Total"), *(total[k] for k in _KEYS[:4]), percent(total[_KEYS[4]])])
    tasks = [
        [
            row.id,
            row.title,
            _("source:" + row.source),
            row.source_ref,
            row.unit_name,
            row.owner_name,
            row.due_on.isoformat(),
            _("task:" + row.state.value),
            _("Yes") if row.overdue else "",
        ]
        for row in view["tasks"].rows
    ]
    task_headers = [
        _("Task"), _("Title"), _("Source"), _("Source reference"), _("Responsible unit"),
        _("Owner"), _("Due on"), _("State"), _("Overdue"),
    ]  # fmt: skip
    return [
        (_("Board"), [_("Unit code"), _("Unit"), *figures], units),
        (_("Tasks"), task_headers, tasks),
    ]


_KEYS = ("open", "overdue", "closed", "closed_on_time", "on_time_pct")
