"""An outlet's visits from manyi's own tables, as event-log rows (`eventlog.Visit`).

A visit is every leg of one ticket: a transfer ends a leg and opens another that keeps the
number, the issue time, the local day and the customer's token. So legs are merged by
their token: issue time and service and class of the first leg, the first call of any leg
(from the `called` events, which name the counter), and the end and outcome of the last.

A visit whose last leg has not ended (still waiting, called or at the counter) is left
out and counted: its wait or its outcome is not known yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.forecast.eventlog import OUTCOMES, Visit
from manyi.lobby import ports
from manyi.lobby.tables import LobbyCounter, LobbyEventRow, LobbyTicket


@dataclass(frozen=True)
class Export:
    visits: list[Visit]
    in_progress: int  # visits left out because they have not ended


def export_visits(
    session: Session, outlet: ports.OutletLike, first: dt.date, last: dt.date
) -> Export:
    """Visits issued on the outlet's business days `first` … `last`, in order of issue."""
    in_range = (
        LobbyTicket.outlet_id == outlet.id,
        LobbyTicket.local_day >= first,
        LobbyTicket.local_day <= last,
    )
    legs = session.execute(
        select(
            LobbyTicket.id,
            LobbyTicket.public_token,
            LobbyTicket.service_code,
            LobbyTicket.klass,
            LobbyTicket.state,
            LobbyTicket.outcome,
            LobbyTicket.issued_at,
            LobbyTicket.first_called_at,
            LobbyTicket.finished_at,
            LobbyTicket.counter_id,
        )
        .where(*in_range)
        .order_by(LobbyTicket.id)
    ).all()
    first_calls: dict[int, tuple[dt.datetime, int | None]] = {}
    for ticket_id, counter_id, at in session.execute(
        select(LobbyEventRow.ticket_id, LobbyEventRow.counter_id, LobbyEventRow.at)
        .where(
            LobbyEventRow.outlet_id == outlet.id,
            LobbyEventRow.kind == "called",
            LobbyEventRow.ticket_id.in_(select(LobbyTicket.id).where(*in_range)),
        )
        .order_by(LobbyEventRow.id)
    ):
        if ticket_id is not None and ticket_id not in first_calls:
            first_calls[ticket_id] = (at, counter_id)
    numbers: dict[int, int] = {
        counter_id: number
        for counter_id, number in session.execute(
            select(LobbyCounter.id, LobbyCounter.number).where(LobbyCounter.outlet_id == outlet.id)
        )
    }
    by_token: dict[str, list[Any]] = {}
    for leg in legs:
        by_token.setdefault(leg.public_token, []).append(leg)
    visits: list[Visit] = []
    in_progress = 0
    for visit_legs in by_token.values():
        visit = _visit(outlet.code, visit_legs, first_calls, numbers)
        if visit is None:
            in_progress += 1
        else:
            visits.append(visit)
    visits.sort(key=lambda v: (v.issued_at, int(v.ticket_id)))
    return Export(visits, in_progress)


def _visit(
    outlet: str,
    legs: list[Any],
    first_calls: dict[int, tuple[dt.datetime, int | None]],
    numbers: dict[int, int],
) -> Visit | None:
    head, tail = legs[0], legs[-1]
    if tail.state != "finished" or tail.outcome not in OUTCOMES or tail.finished_at is None:
        return None
    calls = [first_calls[leg.id] for leg in legs if leg.id in first_calls]
    called_at: dt.datetime | None
    counter_id: int | None
    if calls:
        called_at, counter_id = min(calls, key=lambda c: c[0])
    else:  # events pruned or never written: the ticket row still knows
        called = [(leg.first_called_at, leg.counter_id) for leg in legs if leg.first_called_at]
        called_at, counter_id = min(called, key=lambda c: c[0]) if called else (None, None)
    counter = None
    if counter_id is not None:
        counter = str(numbers.get(counter_id, f"#{counter_id}"))  # '#id': counter since removed
    return Visit(
        ticket_id=str(head.id),
        outlet=outlet,
        service=head.service_code,
        priority_class=head.klass,
        issued_at=head.issued_at,
        called_at=called_at,
        finished_at=tail.finished_at,
        outcome=tail.outcome,
        counter=counter,
    )
