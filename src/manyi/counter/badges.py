"""The teller's badge (挂牌上岗) on the counter's customer-facing pages (the form's check and the
signature pad): name, staff number and star level of the bundle's teller.

The counter imports no supervision: it asks the lobby's `TellerBadgePort`
(`manyi.lobby.ports.teller_badges`), which supervision fills at start-up
(`manyi.web.wiring.plug_features`); without it, no badge is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from manyi.lobby import ports


def badge_of(session: Session, teller_id: int, now: dt.datetime) -> dict[str, Any] | None:
    """The badge's JSON (`ports.TellerBadge.as_json`) for the teller, or None to show none."""
    badge = ports.teller_badges().badge(session, teller_id, now)
    return badge.as_json() if badge is not None else None
