"""The workload pages: `/workload` (an outlet's tellers on a day, the fairness figure and each
teller's 30-day trend; branch and outlet heads, head office, within their scope) and
`/workload/me` (a teller's own figures). No SQL here: `workload.view` gathers the figures."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput
from manyi.org.model import Permission
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render
from manyi.workload import view

router = APIRouter(include_in_schema=False)


def parse_day(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("day: a date like 2026-03-01", "day") from None


@router.get("/workload")
def workload_page(
    request: Request,
    outlet: str = "",
    day: str = "",
    principal: Principal = require(Permission.WORKLOAD_VIEW),
    session: Session = DbSession,
) -> Response:
    settings = request.app.state.settings
    shown = view.outlet_view(
        session,
        principal.unit_path,
        outlet.strip()[:32],
        parse_day(day),
        now=utcnow(),
        break_min=settings.workload_break_min,
    )
    return render(
        request,
        "workload/outlet.html",
        {"v": shown, "limits": settings, "break_min": settings.workload_break_min},
    )


@router.get("/workload/me")
def my_workload(
    request: Request,
    day: str = "",
    principal: Principal = require(Permission.LOBBY_OPERATE),
    session: Session = DbSession,
) -> Response:
    settings = request.app.state.settings
    shown = view.own_view(
        session,
        principal.id,
        view.unit_of(session, principal.unit_id),
        parse_day(day),
        now=utcnow(),
        break_min=settings.workload_break_min,
    )
    return render(request, "workload/me.html", {"v": shown})
