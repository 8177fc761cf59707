"""Staff views of appointments: the day's list per outlet (`/lobby/appointments`), the lobby
dashboard's card (today's appointments, checked in, late and missing), and an outlet's rules
(`/api/v1/appointments/rules/{outlet}`: read with lobby.view, changed with lobby.configure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from manyi.db import Session, utcnow
from manyi.lobby import layouts
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.reach import appointment_queries, appointment_rules
from manyi.reach.domain.slots import Rules
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["appointments"])


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
            "services": layouts.layout(session, unit).services,
        },
    )


class RulesIn(BaseModel):
    walk_in_share: float | None = Field(default=None, description="0 to below 1, e.g. 0.5")
    horizon_days: int | None = None
    lead_minutes: int | None = None
    early_minutes: int | None = None
    late_grace_minutes: int | None = Field(
        default=None, description="after the slot start, still an appointment ticket"
    )
    no_show_limit: int | None = None
    no_show_window_days: int | None = None
    block_days: int | None = None
    book_from: str | None = Field(default=None, description="HH:MM")
    book_until: str | None = Field(default=None, description="HH:MM")
    checkin_radius_m: int | None = Field(
        default=None,
        description="check-in by the link within this many metres of the outlet's position, "
        "0 to 5000; 0: no position asked (time only)",
    )


def _rules_json(rules: Rules) -> dict[str, Any]:
    return {
        k: v.strftime("%H:%M") if isinstance(v, dt.time) else v
        for k, v in dataclasses.asdict(rules).items()
    }


@api_router.get("/api/v1/appointments/rules/{outlet}", summary="An outlet's appointment rules")
def get_rules(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = layouts.outlet_by_code(session, outlet, principal.unit_path)
    return _rules_json(appointment_rules.rules_for(session, unit.id))


@api_router.put(
    "/api/v1/appointments/rules/{outlet}",
    summary="Change an outlet's appointment rules (its head or an administrator; audited)",
)
def put_rules(
    outlet: str,
    body: RulesIn,
    principal: Principal = require(Permission.LOBBY_CONFIGURE),
    session: Session = DbSession,
) -> dict[str, Any]:
    unit = layouts.outlet_by_code(session, outlet, principal.unit_path)
    values = body.model_dump(exclude_none=True)
    rules = appointment_rules.save_rules(session, principal.actor, unit, values, utcnow())
    return _rules_json(rules)
