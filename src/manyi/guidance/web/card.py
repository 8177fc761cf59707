"""The lobby dashboard's guidance card (the `lobby.web.cards` hook): today's encounters."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.db import Session, utcnow
from manyi.guidance import queries
from manyi.guidance.domain.triage import Figures
from manyi.lobby import layouts
from manyi.org.tables import Unit
from manyi.web.security import Principal


@dataclass(frozen=True)
class GuidanceCard:
    outlet_code: str
    figures: Figures


def dashboard_card(session: Session, principal: Principal, outlet: Unit) -> GuidanceCard:
    day = layouts.layout(session, outlet).policy.business_day(utcnow())
    return GuidanceCard(outlet.code, queries.day_figures(session, outlet.id, day))
