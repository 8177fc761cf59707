"""Cards other features add to the lobby dashboard, through a hook registered at start-up.

The dashboard knows no other feature: a feature registers a `DashboardCard` (the counter's
"paperless counter today", say, from `manyi.web.wiring`), and the page shows each card whose `build`
returns something for this viewer and outlet. The card's template is included with `card` set
to that value; its stylesheet, if any, is linked in the page's head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from manyi.db import Session
from manyi.org.tables import Unit
from manyi.web.security import Principal


@dataclass(frozen=True)
class DashboardCard:
    name: str
    template: str  # a Jinja template rendering `card`
    build: Callable[[Session, Principal, Unit], Any]  # None: no card for this viewer/outlet
    stylesheet: str | None = None


@dataclass(frozen=True)
class ShownCard:
    card: DashboardCard
    value: Any


_cards: dict[str, DashboardCard] = {}


def register(card: DashboardCard) -> None:
    _cards.setdefault(card.name, card)


def shown(session: Session, principal: Principal, outlet: Unit) -> list[ShownCard]:
    """The registered cards this viewer sees for this outlet, in registration order."""
    shown_cards = []
    for card in _cards.values():
        value = card.build(session, principal, outlet)
        if value is not None:
            shown_cards.append(ShownCard(card, value))
    return shown_cards
