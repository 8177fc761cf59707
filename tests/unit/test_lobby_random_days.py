"""Properties of the in-memory lobby over random days (services, counters, classes and
actions): no ticket is called twice in a leg, and each call follows the rule it cites."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.errors import Conflict, InvalidInput
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterState, Outcome, PriorityClass, TicketState
from tests.lobby_strategies import CLASSES, T0, CallRecord, Setup, call, sec, setups, snapshot


def check_consistent(lobby: Lobby) -> None:
    """Counters and tickets agree on who is at which window."""
    current = [
        c.current_ticket_id for c in lobby.counters.values() if c.current_ticket_id is not None
    ]
    assert len(current) == len(set(current)), "a ticket is at two counters"
    for c in lobby.counters.values():
        if c.state is CounterState.SERVING:
            assert c.current_ticket_id is not None
            t = lobby.tickets[c.current_ticket_id]
            assert t.state in (TicketState.CALLED, TicketState.SERVING)
            assert t.counter_id == c.id
        else:
            assert c.current_ticket_id is None
    for t in lobby.tickets.values():
        if t.state in (TicketState.CALLED, TicketState.SERVING):
            assert t.counter_id is not None
            assert lobby.counters[t.counter_id].current_ticket_id == t.id
        if t.state is TicketState.WAITING:
            assert t.call_count == 0 and t.counter_id is None and t.outcome is None


# --- random day at the lobby ----------------------------------------------------------

ACTIONS = [
    *["issue"] * 5,
    *["call"] * 2,
    *["serve"] * 4,  # complete the current customer, if any, and call the next
    *["recall"] * 2,
    "start",
    *["complete"] * 4,
    *["no_show"] * 3,
    *["requeue"] * 2,
    "transfer_service",
    "transfer_counter",
    "cancel",
    *["open"] * 2,
    "close",
    "pause",
    *["resume"] * 2,
]
Step = tuple[str, int, int, int, int]  # action, a, b, seconds to wait first, aim
actions = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 1000),
        st.integers(0, 1000),
        st.sampled_from([0, 0, 0, 1, 5, 30, 60, 300]),
        st.integers(0, 9),
    ),
    min_size=30,
    max_size=100,
)


def target_counter(lobby: Lobby, kind: str, a: int, aim: int) -> int:
    """Mostly a counter the action suits (one with someone to call, a customer to serve);
    now and then any counter, so that refusals are exercised too."""
    ids = sorted(lobby.counters)
    counters = [lobby.counters[i] for i in ids]
    choices: list[list[Counter]] = []
    if kind in ("call", "serve"):
        states = [CounterState.OPEN] + ([CounterState.SERVING] if kind == "serve" else [])
        ready = [c for c in counters if c.state in states]
        busy_line = [c for c in ready if dispatch.eligible(c, lobby.waiting, lobby.services)]
        choices = [busy_line, ready]
    elif kind in ("recall", "start", "complete", "no_show", "transfer_service", "transfer_counter"):
        busy = [c for c in counters if c.current_ticket_id is not None]
        if kind == "no_show":
            needed = lobby.policy.no_show_after_calls
            ripe = [c for c in busy if lobby.current(c.id).call_count >= needed]
            choices = [ripe, busy]
        else:
            choices = [busy]
    if aim < 8:
        for suitable in choices:
            if suitable:
                return suitable[a % len(suitable)].id
    return ids[a % len(ids)]


def run_day(setup: Setup, steps: list[Step]) -> tuple[Lobby, list[CallRecord]]:
    """Apply random actions; refused ones must change nothing; state stays consistent."""
    lobby = setup.build()
    ids = sorted(lobby.counters)
    codes = setup.codes
    log: list[CallRecord] = []
    now = T0
    for kind, a, b, step, aim in steps:
        now += sec(step)
        cid = target_counter(lobby, kind, a, aim)
        before = snapshot(lobby)
        known = set(lobby.tickets)
        at_counter = lobby.counters[cid].current_ticket_id
        leg = None if at_counter is None else lobby.tickets[at_counter]
        try:
            if kind == "issue":
                klass = CLASSES[b % len(CLASSES)]
                due = None
                if klass is PriorityClass.APPOINTMENT and b % 7 != 6:
                    due = now + sec((b % 7 - 3) * 600)
                lobby.issue(codes[a % len(codes)], now, klass, due_at=due)
            elif kind == "call":
                call(lobby, cid, now, log)
            elif kind == "serve":
                if lobby.counters[cid].current_ticket_id is not None:
                    lobby.complete(cid, now)
                call(lobby, cid, now, log)
            elif kind == "recall":
                lobby.recall(cid, now)
            elif kind == "start":
                lobby.start(cid, now)
            elif kind == "complete":
                lobby.complete(cid, now)
            elif kind == "no_show":
                lobby.no_show(cid, now)
            elif kind == "requeue":
                missed = [t for t in lobby.tickets.values() if t.outcome is Outcome.NO_SHOW]
                if missed:
                    lobby.requeue(missed[b % len(missed)].id, now)
            elif kind in ("transfer_service", "transfer_counter"):
                target = lobby.counters[ids[b % len(ids)]]
                if kind == "transfer_service":
                    code, to = codes[b % len(codes)], None
                else:
                    code, to = target.services[b % len(target.services)], target.id
                new = lobby.transfer(cid, now, code, to)
                # The next leg waits, with the customer's number and issue time.
                assert leg is not None and leg.outcome is Outcome.TRANSFERRED
                assert (new.number, new.issued_at) == (leg.number, leg.issued_at)
                assert (new.service_code, new.target_counter_id) == (code, to)
                assert new.state is TicketState.WAITING and new.id not in known
            elif kind == "cancel":
                live = [t.id for t in lobby.tickets.values() if not t.finished]
                tickets = live if live and aim < 8 else sorted(lobby.tickets)
                if tickets:
                    lobby.cancel(tickets[b % len(tickets)], now)
            elif kind == "open":
                lobby.open(cid, 100 + cid, now, setup.counters[cid - 1].skills)
            elif kind == "close":
                lobby.close(cid, now)
            elif kind == "pause":
                lobby.pause(cid, now)
            elif kind == "resume":
                lobby.resume(cid, now)
        except (Conflict, InvalidInput):
            assert snapshot(lobby) == before, f"a refused {kind} changed the lobby"
        check_consistent(lobby)
    return lobby, log


@dataclass
class Legs:
    calls_due: int  # calls the ticket's history entitles it to
    second_chances: int  # no-shows put back in the queue


def lifecycle(lobby: Lobby) -> dict[int, Legs]:
    """Walk each ticket's events in order, checking that each step was allowed.

    A ticket is called only while waiting. It enters the queue once per leg (issued, or the
    next leg of a transfer) and again each time a no-show is put back; every entry but a last
    one still waiting, or cancelled while waiting, ends in exactly one call.
    """
    state: dict[int, str] = {}
    entered: Tally[int] = Tally()
    second: Tally[int] = Tally()
    for e in lobby.events:
        if e.ticket_id is None:
            continue
        tid, was = e.ticket_id, state.get(e.ticket_id)
        if e.kind == "issued":
            assert was is None
            becomes = "waiting"
            entered[tid] += 1
        elif e.kind == "requeued":  # the next leg of a transfer, or a no-show back in line
            assert was in (None, "no_show"), (tid, was)
            becomes = "waiting"
            entered[tid] += 1
            second[tid] += was == "no_show"
        elif e.kind == "called":
            assert was == "waiting", f"ticket {tid} called while {was}"
            becomes = "called"
        elif e.kind in ("recalled", "started"):
            assert was == "called"
            becomes = was
        elif e.kind in ("completed", "transferred"):
            assert was == "called"
            becomes = "done"
        elif e.kind == "no_show":
            assert was == "called"
            becomes = "no_show"
        elif e.kind == "cancelled":
            assert was in ("waiting", "called")
            becomes = f"cancelled_{was}"
        else:
            raise AssertionError(e.kind)
        state[tid] = becomes
    allowed = {
        TicketState.WAITING: {"waiting"},
        TicketState.CALLED: {"called"},
        TicketState.SERVING: {"called"},
        TicketState.FINISHED: {"done", "no_show", "cancelled_waiting", "cancelled_called"},
    }
    assert set(state) == set(lobby.tickets)
    for tid, t in lobby.tickets.items():
        assert state[tid] in allowed[t.state], (t, state[tid])
    return {
        tid: Legs(entered[tid] - (state[tid] in ("waiting", "cancelled_waiting")), second[tid])
        for tid in state
    }


# --- (1) never called twice -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(setups(), actions)
def test_a_ticket_is_called_once_per_leg(setup: Setup, steps: list[Step]) -> None:
    lobby, log = run_day(setup, steps)
    called = Tally(e.ticket_id for e in lobby.events if e.kind == "called")
    legs = lifecycle(lobby)
    for tid, t in lobby.tickets.items():
        assert called[tid] == legs[tid].calls_due, (t, called[tid], legs[tid])
        # Once per leg; more only after a no-show was given another chance.
        assert called[tid] <= 1 + legs[tid].second_chances
    assert sum(called.values()) == len(log)
    # One number per visit: the legs of a transfer share it, nobody else does, and the
    # day's numbers run without gaps (a refused issue uses none).
    visits: dict[str, set[dt.datetime]] = defaultdict(set)
    for t in lobby.tickets.values():
        visits[t.number].add(t.issued_at)
    assert all(len(issued) == 1 for issued in visits.values())
    issued = [lobby.tickets[e.ticket_id or 0].number for e in lobby.events if e.kind == "issued"]
    for prefix in {n[0] for n in issued}:
        seqs = [int(n[1:]) for n in issued if n[0] == prefix]
        assert seqs == list(range(1, len(seqs) + 1))


@settings(max_examples=60, deadline=None)
@given(setups(), actions)
def test_each_call_follows_the_rule_it_cites(setup: Setup, steps: list[Step]) -> None:
    """With re-queues, transfers and appointments falling due: a cycle or lane call skips
    nobody of the same service and effective class ahead in line, nor anyone sent here; a
    cycle call skips nobody aged; an aged call has aged; sent-here calls go oldest first."""
    _, log = run_day(setup, steps)
    for r in log:
        assert r.skipped == [], (r.reason, r.ticket, r.skipped)
