"""The overload card's builder for the lobby dashboard hook (`lobby.web.cards`)."""

from __future__ import annotations

from collections.abc import Callable

from manyi.config import Settings
from manyi.db import Session, utcnow
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.web.security import Principal
from manyi.workload import live
from manyi.workload.domain.advice import Limits


def rules_of(settings: Settings | None) -> live.Rules:
    if settings is None:
        return live.Rules(Limits(), 10.0)
    return live.Rules(
        Limits(
            max_stretch_min=settings.workload_max_stretch_min,
            max_busy_share=settings.workload_max_busy_share,
            target_level=settings.workload_service_level,
        ),
        float(settings.workload_break_min),
    )


def dashboard_card(
    settings: Settings | None,
) -> Callable[[Session, Principal, Unit], live.OverloadCard | None]:
    rules = rules_of(settings)

    def build(session: Session, principal: Principal, outlet: Unit) -> live.OverloadCard | None:
        """Shown to those who manage the lobby, while tellers are on duty."""
        if not principal.can(Permission.LOBBY_MANAGE):
            return None
        card = live.overload_card(session, outlet, utcnow(), rules)
        return card if card.on_duty else None

    return build
