"""Dispatch at its edges: ageing to the microsecond and across a clock change, tickets sent
here or elsewhere, a class of one, an appointment not yet due, a credit of no class."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from manyi.lobby.domain.dispatch import Pick, choose, next_class
from manyi.lobby.domain.model import Channel, Counter, CounterKind, Policy, PriorityClass, Service
from manyi.lobby.domain.ticket import Ticket

NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)
G, A, N = PriorityClass.GREEN, PriorityClass.APPOINTMENT, PriorityClass.NORMAL
SERVICES = {
    s.code: s for s in [Service("DEP", "存款", "A", 300), Service("LOAN", "贷款", "B", 600)]
}
POLICY = Policy()
AGEING = dt.timedelta(seconds=POLICY.ageing_s)


def counter(
    services: tuple[str, ...] = ("DEP",), kind: CounterKind = CounterKind.REGULAR
) -> Counter:
    c = Counter(1, 1, kind, services)
    c.open(101)
    return c


def ticket(
    id: int,
    queued_at: dt.datetime,
    klass: PriorityClass = N,
    *,
    code: str = "DEP",
    due_at: dt.datetime | None = None,
    target: int | None = None,
) -> Ticket:
    return Ticket(
        id, "X", code, klass, Channel.KIOSK, queued_at, queued_at, due_at, target_counter_id=target
    )


def pick(c: Counter, waiting: list[Ticket], now: dt.datetime = NOW) -> Pick:
    got = choose(c, waiting, SERVICES, POLICY, now)
    assert got is not None
    return got


def test_ageing_starts_at_the_threshold_to_the_microsecond() -> None:
    green = ticket(1, NOW - dt.timedelta(seconds=10), G)
    almost = ticket(2, NOW - AGEING + dt.timedelta(microseconds=1))
    got = pick(counter(), [green, almost])
    assert (got.ticket, got.reason) == (green, "cycle")  # green wins the tie; nobody aged
    exactly = ticket(3, NOW - AGEING)
    got = pick(counter(), [green, almost, exactly])
    assert (got.ticket, got.reason) == (exactly, "aged")


def test_ageing_counts_time_waited_across_a_clock_change() -> None:
    # Berlin moves its clocks from 02:00 to 03:00 at 01:00 UTC on 29 March 2026.
    now = dt.datetime(2026, 3, 29, 1, 10, tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    green = ticket(1, now - dt.timedelta(seconds=10), G)
    # Queued (in UTC, as stored) 14 minutes ago: 74 minutes by the wall clock.
    waited_14_min = ticket(2, dt.datetime(2026, 3, 29, 0, 56, tzinfo=dt.UTC))
    assert pick(counter(), [green, waited_14_min], now).reason == "cycle"
    waited_15_min = ticket(3, dt.datetime(2026, 3, 29, 0, 55, tzinfo=dt.UTC))
    got = pick(counter(), [green, waited_14_min, waited_15_min], now)
    assert (got.ticket, got.reason) == (waited_15_min, "aged")


def test_one_service_counter_sent_here_and_sent_elsewhere() -> None:
    aged = ticket(1, NOW - 2 * AGEING)
    green = ticket(2, NOW - dt.timedelta(seconds=60), G)
    elsewhere = ticket(3, NOW - 3 * AGEING, target=2)
    c = counter(kind=CounterKind.GREEN)
    # A ticket sent to another counter is not this counter's to call, nor its "sent here".
    got = pick(c, [elsewhere, green])
    assert (got.ticket, got.reason) == (green, "own_lane")
    sent = ticket(4, NOW - dt.timedelta(seconds=30), target=1)
    got = pick(c, [aged, elsewhere, green, sent])
    assert (got.ticket, got.reason, got.credits) == (sent, "sent_here", {})


def test_a_class_of_one_and_an_early_appointment_in_the_normal_line() -> None:
    c = counter()
    c.credits = {"green": 5}  # owed nothing once green is absent
    due = ticket(1, NOW - dt.timedelta(seconds=100), A, due_at=NOW)
    normal = ticket(2, NOW - dt.timedelta(seconds=300))
    # Not due for an hour: queues as a normal ticket, by its queue time.
    early = ticket(3, NOW - dt.timedelta(seconds=400), A, due_at=NOW + dt.timedelta(hours=1))
    got = pick(c, [due, normal, early])
    assert (got.ticket, got.credits) == (early, {"appointment": 1, "normal": -1})
    c.credits = got.credits
    got = pick(c, [due, normal])
    assert (got.ticket, got.credits) == (due, {"appointment": -1, "normal": 1})


def test_a_credit_under_an_unknown_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a valid PriorityClass"):
        next_class({"gold": 1}, {N: 2})
