"""Lobby model rules: a ticket's transitions (call, recall, start, complete, no-show, requeue
within the grace period, transfer, cancel), legal and illegal."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from manyi.errors import Conflict
from manyi.lobby.domain.model import Channel, Outcome, Policy, PriorityClass, TicketState
from manyi.lobby.domain.ticket import Ticket
from tests.lobby_model_helpers import T0, sec

# --- Ticket transitions ---------------------------------------------------------------

CALLED_AT = T0 + sec(60)
RECALLED_AT = T0 + sec(90)
STARTED_AT = T0 + sec(120)
FINISHED_AT = T0 + sec(400)


def fresh_ticket() -> Ticket:
    return Ticket(
        id=7,
        number="A012",
        service_code="DEP",
        klass=PriorityClass.VIP,
        channel=Channel.KIOSK,
        issued_at=T0,
        queued_at=T0,
    )


def ticket_in(state: str) -> Ticket:
    """A ticket in a named state, reached through legal transitions."""
    t = fresh_ticket()
    if state == "waiting":
        return t
    t.call(3, 42, CALLED_AT)
    if state == "called":
        return t
    if state == "recalled":
        t.recall(RECALLED_AT)
        return t
    if state == "serving":
        t.start(STARTED_AT)
        return t
    if state == "served":
        t.start(STARTED_AT)
        t.complete(FINISHED_AT)
        return t
    if state == "no_show":
        t.recall(RECALLED_AT)
        t.no_show(FINISHED_AT, Policy())
        return t
    if state == "cancelled_waiting":
        t = fresh_ticket()
        t.cancel(FINISHED_AT)
        return t
    if state == "cancelled_called":
        t.cancel(FINISHED_AT)
        return t
    if state == "transferred":
        t.transfer(FINISHED_AT, 8, "LOAN", None)
        return t
    raise AssertionError(state)


STATES = [
    "waiting",
    "called",
    "recalled",
    "serving",
    "served",
    "no_show",
    "cancelled_waiting",
    "cancelled_called",
    "transferred",
]
NOW = FINISHED_AT + sec(30)
OPS: dict[str, Any] = {
    "call": lambda t: t.call(5, 43, NOW),
    "recall": lambda t: t.recall(NOW),
    "start": lambda t: t.start(NOW),
    "complete": lambda t: t.complete(NOW),
    "no_show": lambda t: t.no_show(NOW, Policy()),
    "requeue": lambda t: t.requeue(NOW, Policy(), NOW),
    "transfer": lambda t: t.transfer(NOW, 99, "LOAN", None),
    "cancel": lambda t: t.cancel(NOW),
}
LEGAL = {
    "call": {"waiting"},
    "recall": {"called", "recalled"},
    "start": {"called", "recalled"},
    "complete": {"called", "recalled", "serving"},
    "no_show": {"recalled"},  # the default policy needs two calls
    "requeue": {"no_show"},
    "transfer": {"called", "recalled", "serving"},
    "cancel": {"waiting", "called", "recalled"},
}
ILLEGAL = [(state, op) for op in OPS for state in STATES if state not in LEGAL[op]]


@pytest.mark.parametrize(("state", "op"), ILLEGAL)
def test_illegal_ticket_transitions_raise_and_change_nothing(state: str, op: str) -> None:
    t = ticket_in(state)
    before = copy.deepcopy(t)
    with pytest.raises(Conflict) as info:
        OPS[op](t)
    assert info.value.field == "ticket"
    assert info.value.params["number"] == "A012"
    assert t == before


@pytest.mark.parametrize(("state", "op"), [(s, op) for op in OPS for s in sorted(LEGAL[op])])
def test_legal_ticket_transitions_succeed(state: str, op: str) -> None:
    t = ticket_in(state)
    OPS[op](t)
    expected = {
        "call": TicketState.CALLED,
        "recall": TicketState.CALLED,
        "start": TicketState.SERVING,
        "requeue": TicketState.WAITING,
    }.get(op, TicketState.FINISHED)
    assert t.state is expected


def test_call_records_counter_teller_and_times() -> None:
    t = fresh_ticket()
    t.call(3, 42, CALLED_AT)
    assert t.state is TicketState.CALLED
    assert (t.call_count, t.counter_id, t.teller_id) == (1, 3, 42)
    assert t.first_called_at == t.last_called_at == CALLED_AT
    assert t.outcome is None and t.started_at is None and t.finished_at is None


def test_recall_counts_and_keeps_first_call_time() -> None:
    t = ticket_in("called")
    t.recall(RECALLED_AT)
    t.recall(RECALLED_AT + sec(30))
    assert t.state is TicketState.CALLED
    assert t.call_count == 3
    assert t.first_called_at == CALLED_AT
    assert t.last_called_at == RECALLED_AT + sec(30)


def test_start_then_complete() -> None:
    t = ticket_in("serving")
    assert (t.state, t.started_at) == (TicketState.SERVING, STARTED_AT)
    t.complete(FINISHED_AT)
    assert t.finished and t.state == TicketState.FINISHED
    assert t.outcome is Outcome.SERVED
    assert (t.started_at, t.finished_at) == (STARTED_AT, FINISHED_AT)


def test_complete_without_start_began_at_the_last_call() -> None:
    t = ticket_in("recalled")
    t.complete(FINISHED_AT)
    assert t.outcome is Outcome.SERVED
    assert t.started_at == RECALLED_AT  # the last call, not the first
    assert t.finished_at == FINISHED_AT


@pytest.mark.parametrize("calls_needed", [1, 2, 3, 5])
def test_no_show_needs_the_policys_number_of_calls(calls_needed: int) -> None:
    p = Policy(no_show_after_calls=calls_needed)
    t = fresh_ticket()
    t.call(3, 42, CALLED_AT)
    for i in range(1, calls_needed):
        before = copy.deepcopy(t)
        with pytest.raises(Conflict) as info:
            t.no_show(CALLED_AT + sec(i), p)
        assert info.value.params["calls"] == calls_needed
        assert t == before
        t.recall(CALLED_AT + sec(i))
    assert t.call_count == calls_needed
    t.no_show(FINISHED_AT, p)
    assert t.state is TicketState.FINISHED
    assert t.outcome is Outcome.NO_SHOW
    assert t.finished_at == FINISHED_AT
    assert t.started_at is None


def test_requeue_within_grace_waits_again() -> None:
    t = ticket_in("no_show")
    back_in_line = T0 + sec(5)
    t.requeue(FINISHED_AT + sec(600), Policy(requeue_grace_s=600), back_in_line)  # at the limit
    assert t.state is TicketState.WAITING
    assert t.outcome is None and t.finished_at is None
    assert (t.call_count, t.counter_id, t.teller_id) == (0, None, None)
    assert t.queued_at == back_in_line
    assert (t.id, t.number, t.issued_at) == (7, "A012", T0)
    # Called again: the first call of the visit is remembered.
    t.call(4, 44, FINISHED_AT + sec(700))
    assert t.first_called_at == CALLED_AT
    assert t.last_called_at == FINISHED_AT + sec(700)
    assert (t.call_count, t.counter_id, t.teller_id) == (1, 4, 44)


@pytest.mark.parametrize(("grace", "late_by"), [(600, 601), (0, 1), (60, 3600)])
def test_requeue_after_grace_is_refused(grace: int, late_by: int) -> None:
    t = ticket_in("no_show")
    before = copy.deepcopy(t)
    with pytest.raises(Conflict):
        t.requeue(FINISHED_AT + sec(late_by), Policy(requeue_grace_s=grace), FINISHED_AT)
    assert t == before


def test_requeue_with_zero_grace_only_at_once() -> None:
    t = ticket_in("no_show")
    t.requeue(FINISHED_AT, Policy(requeue_grace_s=0), FINISHED_AT)
    assert t.state is TicketState.WAITING


@pytest.mark.parametrize("state", ["called", "recalled", "serving"])
def test_transfer_ends_the_leg_and_starts_a_waiting_one(state: str) -> None:
    t = ticket_in(state)
    t.due_at = T0 + sec(1800)
    t.predicted_wait_s = 120
    nxt = t.transfer(FINISHED_AT, 99, "LOAN", 6)
    # The old leg is over.
    assert t.state is TicketState.FINISHED
    assert t.outcome is Outcome.TRANSFERRED
    assert t.finished_at == FINISHED_AT
    assert t.started_at == {"called": CALLED_AT, "recalled": RECALLED_AT}.get(state, STARTED_AT)
    assert (t.id, t.service_code, t.counter_id) == (7, "DEP", 3)
    # The new leg waits, keeping the customer's number and issue time.
    assert nxt is not t
    assert nxt.id == 99
    assert nxt.state is TicketState.WAITING
    assert (nxt.number, nxt.issued_at) == ("A012", T0)
    assert (nxt.klass, nxt.channel, nxt.due_at) == (t.klass, t.channel, t.due_at)
    assert nxt.service_code == "LOAN"
    assert nxt.target_counter_id == 6
    assert nxt.outcome is None and nxt.call_count == 0
    assert nxt.first_called_at is None and nxt.last_called_at is None
    assert nxt.started_at is None and nxt.finished_at is None
    assert nxt.counter_id is None and nxt.teller_id is None
    assert nxt.predicted_wait_s is None


def test_cancel_waiting_and_called() -> None:
    for state in ("waiting", "called"):
        t = ticket_in(state)
        t.cancel(FINISHED_AT)
        assert t.state is TicketState.FINISHED
        assert t.outcome is Outcome.CANCELLED
        assert t.finished_at == FINISHED_AT
