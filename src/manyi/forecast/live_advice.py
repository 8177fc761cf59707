"""Flexible-counter advice for a live lobby: evaluated by `manyi worker` about once a
minute per outlet, recorded, and shown on the lobby-manager dashboard.

The rule itself is `forecast.advice.advise` (the simulator uses the same
one). This module gathers its inputs from the lobby's tables, keeps the
rule's memory per outlet, records each piece of advice from when it is given
until it ends, and marks it acted on when the lobby event it asked for (a
flexible counter opened or closed, staff paged) follows while it stands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.forecast.advice import Action, Advice, AdviceRules, LobbyState, Memory, advise
from manyi.forecast.tables import AdviceRow, AdviceState
from manyi.lobby import events, layouts, queries
from manyi.lobby.domain.model import Counter, CounterKind, CounterState
from manyi.lobby.tables import LobbyEventRow, LobbySettings, LobbyTicket
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit

EVERY = dt.timedelta(seconds=60)
WINDOW = dt.timedelta(minutes=30)  # utilisation is measured over this window
# The lobby event that carries out each action.
CARRIED_OUT_BY = {
    Action.OPEN: "counter_opened",
    Action.CLOSE: "counter_closed",
    Action.PAGE: "staff_paged",
    Action.SERVE: "counter_opened",
}


def utilisation(session: Session, outlet_id: int, now: dt.datetime, open_counters: int) -> float:
    """Busy share of the open counters over the last 30 minutes (0 when none is open)."""
    if open_counters == 0:
        return 0.0
    since = now - WINDOW
    rows = session.execute(
        select(LobbyTicket.last_called_at, LobbyTicket.finished_at).where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.last_called_at.is_not(None),
            (LobbyTicket.finished_at.is_(None)) | (LobbyTicket.finished_at > since),
        )
    ).all()
    busy = 0.0
    for called, finished in rows:
        if called is None:
            continue
        start = max(called, since)
        end = min(finished or now, now)
        busy += max((end - start).total_seconds(), 0.0)
    return min(busy / (open_counters * WINDOW.total_seconds()), 1.0)


def state_of(session: Session, outlet: Unit, now: dt.datetime) -> LobbyState:
    snap = queries.snapshot(session, outlet, now)
    waits = [q.predicted_wait_s for q in snap.services if q.predicted_wait_s is not None]
    unserved = [q for q in snap.services if q.waiting and not q.estimate.served]
    longest = max((q.longest_wait_s for q in snap.services), default=0)
    counters = [v.counter for v in snap.counters]
    open_counters = [c for c in counters if c.state is not CounterState.CLOSED]
    flexible = [c for c in counters if c.kind is CounterKind.FLEXIBLE]
    busy_tellers = {c.teller_id for c in counters if c.teller_id is not None}
    free = [
        s
        for s in session.scalars(
            select(Staff).where(Staff.unit_id == outlet.id, Staff.active.is_(True))
        )
        if Permission.LOBBY_OPERATE in s.permissions and s.id not in busy_tellers
    ]
    return LobbyState(
        now=now,
        # The worst of what a new ticket would wait and what someone already waited.
        predicted_wait_s=float(max([*waits, longest], default=0)),
        utilisation=utilisation(session, outlet.id, now, len(open_counters)),
        closed_flexible=tuple(c.number for c in flexible if c.state is CounterState.CLOSED),
        open_flexible=tuple(
            c.number
            for c in flexible
            if c.state is CounterState.OPEN and c.current_ticket_id is None
        ),
        free_tellers=len(free),
        unserved=tuple(q.service.code for q in unserved),
        unserved_waiting=sum(q.waiting for q in unserved),
        unserved_counter=_counter_for(counters, [q.service.code for q in unserved]),
    )


def _counter_for(counters: list[Counter], codes: list[str]) -> int | None:
    """A closed counter configured for the first of `codes` it can: a flexible one first."""
    for code in codes:
        closed = [c for c in counters if c.state is CounterState.CLOSED and code in c.services]
        closed.sort(key=lambda c: (c.kind is not CounterKind.FLEXIBLE, c.number))
        if closed:
            return closed[0].number
    return None


@dataclass(frozen=True)
class Evaluated:
    outlet_id: int
    advice: Advice
    changed: bool


def evaluate_outlet(session: Session, outlet: Unit, now: dt.datetime) -> Evaluated:
    """Run the rule for one outlet, record what changed, mark advice acted on."""
    row = session.get(AdviceState, outlet.id)
    memory = Memory(row.high_since, row.low_since, Action(row.standing)) if row else Memory()
    rules = AdviceRules(target_wait_s=layouts.layout(session, outlet).policy.target_wait_s)
    advice, memory = advise(state_of(session, outlet, now), memory, rules)
    if row is None:
        row = AdviceState(outlet_id=outlet.id, evaluated_at=now)
        session.add(row)
    row.evaluated_at, row.standing = now, memory.standing.value
    row.high_since, row.low_since = memory.high_since, memory.low_since
    current = current_advice(session, outlet.id)
    _mark_acted(session, current, now)
    same = current is not None and (
        current.action == advice.action.value and current.counter_number == advice.counter
    )
    if same and current is not None:
        current.params = dict(advice.params)  # the figures move; the advice stands
        return Evaluated(outlet.id, advice, False)
    if current is not None:
        current.ended_at = now
    if advice.action is not Action.NONE:
        session.add(
            AdviceRow(
                outlet_id=outlet.id,
                action=advice.action.value,
                reason=advice.reason,
                params=dict(advice.params),
                counter_number=advice.counter,
                given_at=now,
            )
        )
        events.emit(
            session,
            outlet.id,
            "advice_given",
            now,
            data={"action": advice.action.value, "counter": advice.counter},
        )
    return Evaluated(outlet.id, advice, current is not None or advice.action is not Action.NONE)


def current_advice(session: Session, outlet_id: int) -> AdviceRow | None:
    return session.scalar(
        select(AdviceRow)
        .where(AdviceRow.outlet_id == outlet_id, AdviceRow.ended_at.is_(None))
        .order_by(AdviceRow.id.desc())
        .limit(1)
    )


def _mark_acted(session: Session, advice: AdviceRow | None, now: dt.datetime) -> None:
    if advice is None or advice.acted_at is not None:
        return
    kind = CARRIED_OUT_BY.get(Action(advice.action))
    if kind is None:
        return
    query = select(LobbyEventRow).where(
        LobbyEventRow.outlet_id == advice.outlet_id,
        LobbyEventRow.kind == kind,
        LobbyEventRow.at >= advice.given_at,
        LobbyEventRow.at <= now,
    )
    for event in session.scalars(query.order_by(LobbyEventRow.id)):
        if advice.counter_number is None or event.data.get("counter") == advice.counter_number:
            advice.acted_at, advice.acted_event_id = event.at, event.id
            return


def run_due(db: Database, now: dt.datetime) -> int:
    """Evaluate every outlet with a lobby not evaluated in the last minute; returns changes."""
    with db.read() as session:
        due = list(
            session.scalars(
                select(Unit)
                .join(LobbySettings, LobbySettings.outlet_id == Unit.id)
                .outerjoin(AdviceState, AdviceState.outlet_id == Unit.id)
                .where(
                    (AdviceState.evaluated_at.is_(None)) | (AdviceState.evaluated_at <= now - EVERY)
                )
            )
        )
    changed = 0
    for outlet in due:
        with db.session() as session:
            unit = session.get_one(Unit, outlet.id)
            if layouts.layout(session, unit).policy.is_open(now):
                changed += evaluate_outlet(session, unit, now).changed
    return changed


def acted_share(session: Session, outlet_id: int, since: dt.datetime) -> tuple[int, int]:
    """(advice given, advice acted on) since a moment, for the dashboard."""
    given = session.scalar(
        select(func.count()).where(AdviceRow.outlet_id == outlet_id, AdviceRow.given_at >= since)
    )
    acted = session.scalar(
        select(func.count()).where(
            AdviceRow.outlet_id == outlet_id,
            AdviceRow.given_at >= since,
            AdviceRow.acted_at.is_not(None),
        )
    )
    return int(given or 0), int(acted or 0)
