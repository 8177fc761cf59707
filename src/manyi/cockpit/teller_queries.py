"""An outlet's tellers on the cockpit: the one level below the roll-ups, read from that outlet's
own tickets (legs served, mean service time, busy time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.cockpit.domain.day import service_seconds
from manyi.cockpit.queries import unit_in_scope
from manyi.errors import InvalidInput
from manyi.lobby.tables import LobbyTicket as T
from manyi.org.tables import Staff


@dataclass(frozen=True, slots=True)
class TellerLine:
    staff_id: int
    name: str
    served: int
    service_mean_s: float | None
    busy_s: int


def tellers(
    session: Session, scope_path: str, outlet_id: int, since: dt.datetime, until: dt.datetime
) -> list[TellerLine]:
    """An outlet's tellers over [since, until): legs served, mean service time, busy time (the
    level below the roll-ups: one outlet's own tickets)."""
    outlet = unit_in_scope(session, scope_path, outlet_id)
    if outlet.level != "outlet":
        raise InvalidInput("tellers are listed for an outlet, not a {level}", level=outlet.level)
    rows = session.execute(
        select(T.teller_id, Staff.display_name, T.outcome, T.started_at, T.first_called_at,
               T.finished_at)
        .join(Staff, Staff.id == T.teller_id)
        .where(T.outlet_id == outlet.id, T.issued_at >= since, T.issued_at < until,
               T.outcome.in_(("served", "transferred")))
    ).all()  # fmt: skip
    per: dict[int, list[Any]] = {}
    for staff_id, name, outcome, started, called, finished in rows:
        line = per.setdefault(int(staff_id or 0), [name, 0, 0, 0])
        service = service_seconds(started, called, finished)
        if service is not None:
            line[3] += service
            line[2] += 1
        line[1] += outcome == "served"
    return [
        TellerLine(s, v[0], v[1], v[3] / v[2] if v[2] else None, v[3])
        for s, v in sorted(per.items(), key=lambda kv: kv[1][0])
    ]
