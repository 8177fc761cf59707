"""What the lobby, the counter and complaints recorded about tellers' work, as the pure
rules (`domain.day`) take it.

Read on request, not kept in a table: one outlet's month is a few thousand tickets and
counter events, read with three indexed queries (docs/workload.md gives the measured time).

Who was on duty comes from the counter events of `lobby_events`: `counter_opened` (its data
names the teller signed on) starts an interval, `counter_paused` and `counter_closed` end it,
`counter_resumed` starts the next. A counter already signed on when the period begins (its
sign-on came before) is taken as on duty from the start of the period, for the staff member
who acted on it (the event's `staff_id`) when its first event is a pause or a sign-off.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import work
from manyi.lobby.tables import LobbyCounter, LobbyEventRow, LobbySettings, LobbyTicket
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.workload.domain.day import Serving, Span
from manyi.workload.tables import ServiceWeight

COUNTER_KINDS = ("counter_opened", "counter_paused", "counter_resumed", "counter_closed")
SERVED = ("served", "transferred")  # a transferred leg was served by its teller too


@dataclass
class TellerRecord:
    """A teller's intervals in a period."""

    on_duty: list[Span] = field(default_factory=list)
    servings: list[Serving] = field(default_factory=list)


def on_duty(
    session: Session, outlet_id: int, since: dt.datetime, until: dt.datetime, now: dt.datetime
) -> dict[int, list[Span]]:
    """{teller id: on-duty intervals in [since, until)}, each ending by `now`."""
    rows = session.execute(
        select(
            LobbyEventRow.kind,
            LobbyEventRow.at,
            LobbyEventRow.counter_id,
            LobbyEventRow.staff_id,
            LobbyEventRow.data,
        )
        .where(
            LobbyEventRow.outlet_id == outlet_id,
            LobbyEventRow.kind.in_(COUNTER_KINDS),
            LobbyEventRow.at >= since,
            LobbyEventRow.at < until,
        )
        .order_by(LobbyEventRow.id)
    ).all()
    end = min(until, now)
    teller_of: dict[int, int] = {}  # counter → the teller signed on
    started: dict[int, dt.datetime] = {}  # counter → the current on-duty interval's start
    seen: set[int] = set()
    spans: dict[int, list[Span]] = defaultdict(list)
    for kind, at, counter_id, staff_id, data in rows:
        if counter_id is None:
            continue
        if counter_id not in seen:
            seen.add(counter_id)
            if kind in ("counter_paused", "counter_closed") and staff_id is not None:
                teller_of[counter_id], started[counter_id] = staff_id, since
        if kind == "counter_opened":
            teller = (data or {}).get("teller_id", staff_id)
            if teller is None:
                continue
            teller_of[counter_id] = int(teller)
            started.setdefault(counter_id, at)
        elif kind == "counter_resumed" and counter_id in teller_of:
            started.setdefault(counter_id, at)
        elif kind in ("counter_paused", "counter_closed"):
            start = started.pop(counter_id, None)
            if start is not None and counter_id in teller_of:
                spans[teller_of[counter_id]].append((start, at))
            if kind == "counter_closed":
                teller_of.pop(counter_id, None)
    for counter_id, start in started.items():
        if counter_id in teller_of and start < end:
            spans[teller_of[counter_id]].append((start, end))
    return dict(spans)


def servings(
    session: Session, outlet_id: int, since: dt.datetime, until: dt.datetime
) -> dict[int, list[tuple[int, str, Serving]]]:
    """{teller id: (ticket id, service code, serving)} for tickets whose service started in
    [since, until) and were served (or are being served), weights and marks filled in."""
    rows = session.execute(
        select(
            LobbyTicket.id,
            LobbyTicket.teller_id,
            LobbyTicket.service_code,
            LobbyTicket.started_at,
            LobbyTicket.finished_at,
            LobbyTicket.outcome,
        ).where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.started_at >= since,
            LobbyTicket.started_at < until,
            LobbyTicket.teller_id.is_not(None),
        )
    ).all()
    kept = [r for r in rows if r.finished_at is None or r.outcome in SERVED]
    bundles = work.ticket_work(session, [r.id for r in kept])
    defaults = service_weights(session, outlet_id)
    found: dict[int, list[tuple[int, str, Serving]]] = defaultdict(list)
    for r in kept:
        done = bundles.get(r.id)
        weight = done.weight if done else defaults.get(r.service_code, 1.0)
        serving = Serving(r.started_at, r.finished_at, weight, bool(done and done.difficult))
        found[int(r.teller_id)].append((int(r.id), r.service_code, serving))
    return dict(found)


def service_weights(session: Session, outlet_id: int) -> dict[str, float]:
    rows = session.execute(
        select(ServiceWeight.service_code, ServiceWeight.weight).where(
            ServiceWeight.outlet_id == outlet_id
        )
    )
    return {code: float(weight) for code, weight in rows}


def names(session: Session, staff_ids: Sequence[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.display_name).where(Staff.id.in_(list(staff_ids)))
    )
    return {int(i): name for i, name in rows}


def signed_on(session: Session, outlet_id: int) -> dict[int, int]:
    """{teller id: counter number} of the counters signed on now."""
    rows = session.execute(
        select(LobbyCounter.teller_id, LobbyCounter.number).where(
            LobbyCounter.outlet_id == outlet_id,
            LobbyCounter.teller_id.is_not(None),
            LobbyCounter.state != "closed",
        )
    )
    return {int(teller or 0): int(number) for teller, number in rows}  # never None: filtered


def outlets_in_scope(session: Session, scope_path: str) -> list[Unit]:
    """Outlets with a lobby inside a scope, in tree order."""
    return list(
        session.scalars(
            select(Unit)
            .join(LobbySettings, LobbySettings.outlet_id == Unit.id)
            .where(in_scope(Unit.path, scope_path))
            .order_by(Unit.path)
        )
    )
