"""The counter's measures (柜面成效): what one form, one PIN and one authorisation saved.

One card per outlet in the viewer's scope that had bundles on the day, with the scope's
total (`measures.scope_day`: the busiest `CARD_LIMIT` outlets get a card, the rest are
counted in a line). The lobby dashboard shows the same card for its outlet
(`dashboard_card`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi.counter import measures
from manyi.counter.measures import CARD_LIMIT, OutletMeasures
from manyi.counter.web.common import clerk_of, error_text, page
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.web.security import DbSession, Principal, require

router = APIRouter(include_in_schema=False)


def parse_day(text: str, zone: ZoneInfo) -> dt.date:
    """`YYYY-MM-DD`, or today in `zone` when empty."""
    if not text.strip():
        return utcnow().astimezone(zone).date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("the day must be a date like 2026-03-01", "day") from None


@router.get("/counter/measures")
def measures_page(
    request: Request,
    day: str = "",
    principal: Principal = require(Permission.COUNTER_VIEW),
    session: Session = DbSession,
) -> Response:
    zone: ZoneInfo = request.app.state.settings.zone
    try:
        chosen = parse_day(day, zone)
        figures = measures.scope_day(session, clerk_of(principal), chosen)
    except ManyiError as exc:
        context = {"error": error_text(request, exc), "day": day, "figures": None}
        return page(request, "counter/measures.html", context, exc.status_code)
    return page(
        request,
        "counter/measures.html",
        {"day": chosen.isoformat(), "figures": figures, "card_limit": CARD_LIMIT},
    )


def dashboard_card(session: Session, principal: Principal, outlet: Unit) -> OutletMeasures | None:
    """Today's measures of the dashboard's outlet, for those who work or watch the counter."""
    if not (principal.can(Permission.COUNTER_VIEW) or principal.can(Permission.COUNTER_OPERATE)):
        return None
    today = utcnow().astimezone(ZoneInfo(outlet.timezone)).date()
    try:
        return measures.outlet_measures(session, clerk_of(principal), outlet.id, today)
    except ManyiError:  # an outlet outside the viewer's counter scope: no card
        return None
