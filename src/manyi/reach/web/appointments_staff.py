"""Staff views of appointments: the day's list per outlet (`/lobby/appointments`) and the lobby
dashboard's card (today's appointments, checked in, late and missing)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi.db import Session, utcnow
from manyi.lobby import layouts
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.reach import appointment_queries
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)


def dashboard_card(session: Session, principal: Principal, outlet: Unit) -> dict[str, Any] | None:
    counts = appointment_queries.day_counts(session, outlet.id, utcnow())
    return {"counts": counts, "outlet": outlet.code}


@router.get("/lobby/appointments")
def day_list(
    request: Request,
    outlet: str = "",
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> Response:
    unit = layouts.outlet_by_code(session, outlet or principal.unit_code, principal.unit_path)
    now = utcnow()
    _ = translator(request_language(request))
    return render(
        request,
        "appointments/staff_list.html",
        {
            "title": _("Appointments today"),
            "outlet": unit,
            "lines": appointment_queries.day_list(session, unit.id, now),
            "counts": appointment_queries.day_counts(session, unit.id, now),
            "zone_info": ZoneInfo(layouts.layout(session, unit).policy.timezone),
        },
    )
