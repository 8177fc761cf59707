"""Dispatch: one test per rule in dispatch.py's docstring; re-queue position; the v0 estimate."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter as Tally
from collections.abc import Sequence

import pytest

from manyi.errors import Conflict
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.dispatch import (
    Pick,
    choose,
    effective_class,
    fifo_key,
    next_class,
    requeue_time,
)
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import (
    DEFAULT_WEIGHTS,
    Channel,
    Counter,
    CounterKind,
    CounterState,
    Policy,
    PriorityClass,
    Service,
)
from manyi.lobby.domain.predict import LobbyEvent, LobbyView, QueueAheadEstimate
from manyi.lobby.domain.ticket import Ticket

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
G, V, A, N = (
    PriorityClass.GREEN,
    PriorityClass.VIP,
    PriorityClass.APPOINTMENT,
    PriorityClass.NORMAL,
)

SERVICES: dict[str, Service] = {
    s.code: s
    for s in [
        Service("DEP", "存款", "A", 300),
        Service("LOAN", "贷款", "B", 600),
        Service("CASH", "小额取现", "C", 120, fast_lane=True),
        Service("FX", "外汇", "F", 900, skill="fx"),
    ]
}
POLICY = Policy()


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def counter(
    services: Sequence[str] = ("DEP",),
    kind: CounterKind = CounterKind.REGULAR,
    id: int = 1,
    skills: frozenset[str] = frozenset(),
) -> Counter:
    c = Counter(id, id, kind, tuple(services))
    c.open(100 + id, skills)
    return c


_ids = iter(range(1, 10_000))


def ticket(
    code: str = "DEP",
    klass: PriorityClass = N,
    age: float = 60,
    *,
    id: int | None = None,
    due_in: float | None = None,
    target: int | None = None,
) -> Ticket:
    """A waiting ticket queued `age` seconds before NOW; an appointment due `due_in` s from NOW."""
    queued = NOW - sec(age)
    return Ticket(
        id=next(_ids) if id is None else id,
        number="X",
        service_code=code,
        klass=klass,
        channel=Channel.KIOSK,
        issued_at=queued,
        queued_at=queued,
        due_at=None if due_in is None else NOW + sec(due_in),
        target_counter_id=target,
    )


def pick(
    c: Counter, waiting: Sequence[Ticket], policy: Policy = POLICY, now: dt.datetime = NOW
) -> Pick:
    got = choose(c, waiting, SERVICES, policy, now)
    assert got is not None
    return got


def drain(c: Counter, waiting: list[Ticket], calls: int, policy: Policy = POLICY) -> list[Ticket]:
    """Call `calls` times at one counter, as the engine does: keep the credits, drop the called."""
    called = []
    for _ in range(calls):
        got = pick(c, waiting, policy)
        c.credits = got.credits
        waiting.remove(got.ticket)
        called.append(got.ticket)
    return called


def backlog(per_class: int, code: str = "DEP") -> list[Ticket]:
    """`per_class` fresh tickets of every class, interleaved in arrival order."""
    return [
        ticket(code, klass, age=300 - i * 4 - j)
        for i in range(per_class)
        for j, klass in enumerate((N, V, G, A))
    ]


# --- 1. Eligible ----------------------------------------------------------------------


def test_a_counter_calls_only_services_it_serves() -> None:
    waiting = [ticket("DEP", G), ticket("CASH")]
    assert choose(counter(["LOAN"]), waiting, SERVICES, POLICY, NOW) is None
    assert pick(counter(["LOAN", "DEP"]), waiting).ticket is waiting[0]


def test_a_skilled_service_needs_a_teller_with_the_skill() -> None:
    fx = ticket("FX", age=3000)  # aged, even so
    dep = ticket("DEP")
    unskilled = counter(["FX", "DEP"])
    assert dispatch.eligible(unskilled, [fx, dep], SERVICES) == [dep]
    assert pick(unskilled, [fx, dep]).ticket is dep
    assert choose(unskilled, [fx], SERVICES, POLICY, NOW) is None
    skilled = counter(["FX", "DEP"], skills=frozenset({"fx"}))
    assert pick(skilled, [fx, dep]).ticket is fx


def test_an_unknown_service_is_never_called() -> None:
    gone = ticket("GONE", age=5000)
    assert dispatch.eligible(counter(["GONE", "DEP"]), [gone], SERVICES) == []
    assert choose(counter(["GONE", "DEP"]), [gone], SERVICES, POLICY, NOW) is None


def test_a_ticket_transferred_to_a_counter_is_eligible_there_only() -> None:
    sent = ticket("DEP", target=2)
    one, two = counter(["DEP"], id=1), counter(["DEP"], id=2)
    assert dispatch.eligible(one, [sent], SERVICES) == []
    assert choose(one, [sent], SERVICES, POLICY, NOW) is None
    assert pick(two, [sent]).ticket is sent


# --- 2. Sent here ---------------------------------------------------------------------


def test_tickets_sent_here_come_first_oldest_first() -> None:
    c = counter(["LOAN", "DEP"], kind=CounterKind.GREEN, id=3)
    c.credits = {"green": 3, "normal": -3}
    waiting = [
        ticket("DEP", N, age=5000),  # aged
        ticket("LOAN", G, age=10),  # own lane, preferred service
        ticket("DEP", N, age=30, target=3),
        ticket("DEP", N, age=40, target=3),  # sent here, the older
        ticket("DEP", N, age=4000, target=9),  # sent elsewhere
    ]
    got = pick(c, waiting)
    assert got.ticket is waiting[3]
    assert got.reason == "sent_here"
    assert got.credits == {"green": 3, "normal": -3}  # the cycle is not charged
    assert got.credits is not c.credits


# --- 3. Own lane ----------------------------------------------------------------------


def test_fast_lane_counter_takes_fast_lane_services_first() -> None:
    c = counter(["DEP", "CASH"], kind=CounterKind.FAST_LANE)
    dep = ticket("DEP", G, age=600)  # preferred service, priority class, older
    cash = ticket("CASH", N, age=10)
    got = pick(c, [dep, cash])
    assert (got.ticket, got.reason) == (cash, "own_lane")
    # When no fast-lane customer waits, it helps with the rest.
    got = pick(c, [dep])
    assert (got.ticket, got.reason) == (dep, "cycle")


def test_own_lane_narrows_before_ageing() -> None:
    c = counter(["DEP", "CASH"], kind=CounterKind.FAST_LANE)
    old_dep = ticket("DEP", age=5000)
    cash = ticket("CASH", age=10)
    assert pick(c, [old_dep, cash]).ticket is cash
    # Within the lane, ageing still applies.
    aged_cash = ticket("CASH", age=POLICY.ageing_s)
    got = pick(c, [old_dep, cash, aged_cash])
    assert (got.ticket, got.reason) == (aged_cash, "aged")


def test_green_counter_takes_green_customers_first() -> None:
    c = counter(["LOAN", "DEP"], kind=CounterKind.GREEN)
    normal = ticket("LOAN", N, age=800)
    vip = ticket("LOAN", V, age=700)
    green = ticket("DEP", G, age=10)  # not even the preferred service
    got = pick(c, [normal, vip, green])
    assert (got.ticket, got.reason) == (green, "own_lane")
    got = pick(c, [normal, vip])
    assert got.reason == "cycle"


def test_vip_counter_takes_vip_customers_first() -> None:
    c = counter(["DEP"], kind=CounterKind.VIP)
    green = ticket("DEP", G, age=800)
    normal = ticket("DEP", N, age=700)
    vip = ticket("DEP", V, age=10)
    got = pick(c, [green, normal, vip])
    assert (got.ticket, got.reason) == (vip, "own_lane")
    got = pick(c, [green, normal])
    assert (got.ticket, got.reason) == (green, "cycle")


@pytest.mark.parametrize("kind", [CounterKind.REGULAR, CounterKind.FLEXIBLE])
def test_regular_and_flexible_counters_have_no_lane(kind: CounterKind) -> None:
    vip = ticket("CASH", V, age=10)
    normal = ticket("CASH", N, age=20)
    got = pick(counter(["CASH"], kind=kind), [vip, normal])
    # Weights VIP 1, normal 2: a fresh cycle starts with normal.
    assert (got.ticket, got.reason) == (normal, "cycle")
    got = pick(counter(["CASH"], kind=CounterKind.VIP), [vip, normal])
    assert (got.ticket, got.reason) == (vip, "own_lane")


# --- 4. Ageing ------------------------------------------------------------------------


def test_an_aged_ticket_beats_everything_younger() -> None:
    c = counter(["LOAN", "DEP"])
    c.credits = {"green": 100}  # green is owed a lot of turns
    aged = ticket("DEP", N, age=POLICY.ageing_s)  # exactly at the threshold
    green = ticket("LOAN", G, age=POLICY.ageing_s - 1)
    got = pick(c, [green, aged])
    assert (got.ticket, got.reason) == (aged, "aged")
    assert got.credits == {"green": 100}
    # One second younger, and it is just another normal customer.
    young = ticket("DEP", N, age=POLICY.ageing_s - 1)
    assert pick(c, [green, young]).ticket is green


def test_aged_tickets_go_oldest_first() -> None:
    c = counter(["LOAN", "DEP"])
    p = Policy(ageing_s=600)
    older = ticket("DEP", N, age=700)
    old = ticket("LOAN", G, age=650)
    same_time_higher_id = ticket("DEP", N, age=700)
    order = drain(c, [same_time_higher_id, old, older], 3, p)
    assert order == [older, same_time_higher_id, old]


def test_ageing_counts_from_the_queue_time() -> None:
    c = counter(["DEP"])
    requeued = ticket("DEP", N, age=60)
    requeued.issued_at = NOW - sec(5000)  # issued long ago, back in the queue a minute ago
    green = ticket("DEP", G, age=30)
    assert pick(c, [requeued, green]).ticket is green


# --- 5. Preference --------------------------------------------------------------------


def test_the_counters_first_service_with_someone_waiting() -> None:
    c = counter(["LOAN", "DEP"])
    dep_green = ticket("DEP", G, age=800)
    dep = ticket("DEP", N, age=700)
    loan = ticket("LOAN", N, age=10)
    assert pick(c, [dep_green, dep, loan]).ticket is loan
    assert pick(c, [dep_green, dep]).ticket is dep_green
    c2 = counter(["DEP", "LOAN"])
    assert pick(c2, [dep, loan]).ticket is dep


# --- 6. Weighted cycle ----------------------------------------------------------------


def test_default_weights_interleave_four_priority_calls_in_six() -> None:
    c = counter(["DEP"])
    waiting = backlog(10)
    classes = [t.klass for t in drain(c, waiting, 12)]
    assert classes == [G, N, V, A, G, N] * 2
    assert Tally(classes[:6]) == {G: 2, V: 1, A: 1, N: 2}
    # Normal customers are served from the start, not after the priority queue empties.
    assert N in classes[:2]
    assert c.credits == dict.fromkeys(("green", "vip", "appointment", "normal"), 0)


def test_custom_weights() -> None:
    weights = {G: 1, V: 1, A: 1, N: 3}
    p = Policy(weights=weights)
    c = counter(["DEP"])
    classes = [t.klass for t in drain(c, backlog(10), 18, p)]
    for cycle in range(3):
        assert Tally(classes[cycle * 6 : cycle * 6 + 6]) == weights


def test_an_absent_class_gives_up_its_turn() -> None:
    c = counter(["DEP"])
    waiting = [ticket("DEP", k, age=300 - i) for i in range(9) for k in (N, V)]
    classes = [t.klass for t in drain(c, waiting, 6)]
    assert classes == [N, V, N, N, V, N]  # weights normal 2 : VIP 1, no idle turns
    only_normal = [ticket("DEP", N, age=100 - i) for i in range(5)]
    assert [t.klass for t in drain(counter(["DEP"]), only_normal, 5)] == [N] * 5


def test_a_class_that_was_away_gets_no_burst_of_saved_turns() -> None:
    c = counter(["DEP"])
    c.credits = {"green": 50}  # green was owed many turns, then left
    drain(c, [ticket("DEP", N)], 1)
    assert c.credits == {"normal": 0}
    waiting = [ticket("DEP", k, age=300 - i) for i in range(10) for k in (N, G)]
    classes = [t.klass for t in drain(c, waiting, 8)]
    assert Tally(classes) == {G: 4, N: 4}
    assert max(len(run) for run in "".join(k.value[0] for k in classes).split("n")) <= 2


def test_next_class_round_robin_state() -> None:
    credits: dict[str, int] = {"vip": 7}
    weights = {k: DEFAULT_WEIGHTS[k] for k in (G, N)}
    assert next_class(credits, weights) is G  # ties go to green
    assert credits == {"green": -2, "normal": 2}  # the absent VIP lost its credit
    assert next_class(credits, weights) is N
    assert credits == {"green": 0, "normal": 0}


# --- 7. FIFO --------------------------------------------------------------------------


def test_first_queued_first_called_within_a_class() -> None:
    c = counter(["DEP"])
    a, b, d = ticket("DEP", age=300), ticket("DEP", age=200), ticket("DEP", age=100)
    tie = ticket("DEP", age=200)  # same queue time as b, later id
    assert drain(c, [d, tie, b, a], 4) == [a, b, tie, d]


def test_due_appointments_go_by_booked_time() -> None:
    c = counter(["DEP"])
    early_queued = ticket("DEP", A, age=600, due_in=-60)
    early_booked = ticket("DEP", A, age=300, due_in=-120)
    due_now = ticket("DEP", A, age=500, due_in=0)
    assert effective_class(due_now, NOW) is A
    assert drain(c, [early_queued, due_now, early_booked], 3) == [
        early_booked,
        early_queued,
        due_now,
    ]


def test_an_appointment_not_yet_due_competes_as_normal() -> None:
    c = counter(["DEP"])
    early = ticket("DEP", A, age=500, due_in=1800)  # came half an hour early
    normal = ticket("DEP", N, age=400)
    assert effective_class(early, NOW) is N
    assert fifo_key(early, NOW) < fifo_key(normal, NOW)
    got = pick(c, [normal, early])
    assert got.ticket is early  # served early: it was first in the normal line
    assert got.credits == {"normal": 0}  # charged to the normal class, not to appointments
    # Queued after a normal customer, it waits its turn like one.
    late_early = ticket("DEP", A, age=100, due_in=1800)
    assert pick(c, [late_early, normal]).ticket is normal
    # The same customer once due is an appointment, and the cycle treats it so.
    assert effective_class(early, NOW + sec(1800)) is A


# --- re-queue position ----------------------------------------------------------------


def test_requeue_goes_behind_n_of_the_same_service_and_class() -> None:
    line = [ticket("DEP", N, age=a) for a in (500, 400, 300, 200, 100)]
    others = [ticket("DEP", V, age=350), ticket("LOAN", N, age=250), ticket("DEP", G, age=320)]
    back = ticket("DEP", N, age=10)
    at = requeue_time(back, [*line, *others, back], NOW, 3)
    assert at == NOW - sec(250)  # halfway between the third and the fourth
    back.queued_at = at
    assert sorted([*line, back], key=dispatch.age_key).index(back) == 3


def test_requeue_with_fewer_waiting_goes_to_the_back_of_the_line() -> None:
    line = [ticket("DEP", N, age=a) for a in (500, 400)]
    later_other_class = ticket("DEP", V, age=100)
    back = ticket("DEP", N)
    at = requeue_time(back, [*line, later_other_class], NOW, 3)
    assert at == line[-1].queued_at + dt.timedelta(microseconds=1)


def test_requeue_with_nobody_of_its_kind_waiting_is_now() -> None:
    back = ticket("DEP", N)
    others = [ticket("LOAN", N, age=500), ticket("DEP", V, age=400)]
    assert requeue_time(back, others, NOW, 3) == NOW
    assert requeue_time(back, [], NOW, 0) == NOW


def test_requeue_behind_nobody_goes_first() -> None:
    line = [ticket("DEP", N, age=a) for a in (500, 400)]
    back = ticket("DEP", N)
    assert requeue_time(back, line, NOW, 0) == line[0].queued_at - dt.timedelta(microseconds=1)


def test_requeue_through_the_lobby_is_called_after_three() -> None:
    lobby = Lobby.of(SERVICES.values(), [Counter(1, 1, CounterKind.REGULAR, ("DEP",))])
    lobby.open(1, 101, NOW)
    missing = lobby.issue("DEP", NOW)
    assert lobby.call_next(1, NOW + sec(10)) is missing
    lobby.recall(1, NOW + sec(40))
    lobby.no_show(1, NOW + sec(70))
    line = [lobby.issue("DEP", NOW + sec(80 + i)) for i in range(5)]
    lobby.requeue(missing.id, NOW + sec(120))
    order = []
    for i in range(6):
        t = lobby.call_next(1, NOW + sec(200 + i))
        assert t is not None
        order.append(t)
        lobby.complete(1, NOW + sec(200 + i))
    assert order == [*line[:3], missing, *line[3:]]


# --- v0 wait estimate -----------------------------------------------------------------


def view(
    counters: Sequence[Counter],
    waiting: Sequence[Ticket],
    recent: dict[str, float] | None = None,
) -> LobbyView:
    return LobbyView(
        now=NOW,
        services=SERVICES,
        counters=list(counters),
        waiting=list(waiting),
        recent_service_s=recent or {},
    )


def test_v0_people_ahead_times_recent_mean_over_counters() -> None:
    ahead = [ticket("DEP", k, age=300 - i) for i, k in enumerate((N, V, G))]
    me = ticket("DEP", N, age=0)
    counters = [counter(["DEP"], id=1), counter(["DEP"], id=2)]
    v0 = QueueAheadEstimate()
    assert v0.name == "v0"
    assert v0.predict(view(counters, [*ahead, me], {"DEP": 100.0}), me) == 150
    assert v0.predict(view(counters, [*ahead, me], {"DEP": 101.0}), me) == math.ceil(303 / 2)


def test_v0_falls_back_to_the_expected_service_time() -> None:
    ahead = [ticket("DEP", age=300 - i) for i in range(3)]
    me = ticket("DEP", age=0)
    counters = [counter(["DEP"], id=1), counter(["DEP"], id=2)]
    for recent in ({}, {"DEP": 0.0}, {"LOAN": 50.0}):
        assert QueueAheadEstimate().predict(view(counters, [*ahead, me], recent), me) == 450


def test_v0_nobody_ahead_is_no_wait() -> None:
    me = ticket("DEP")
    later = ticket("DEP", age=0)
    assert QueueAheadEstimate().predict(view([counter(["DEP"])], [me, later]), me) == 0


def test_v0_counts_competitors_across_services_sharing_counters() -> None:
    c = counter(["LOAN", "DEP"])
    ahead = [ticket("LOAN", age=300), ticket("LOAN", age=200), ticket("DEP", V, age=100)]
    elsewhere = ticket("CASH", age=400)  # no counter of mine serves it
    behind = ticket("LOAN", age=0)
    me = ticket("DEP", age=50)
    v = view([c, counter(["CASH"], id=2)], [*ahead, elsewhere, behind, me])
    assert {t.id for t in v.competitors(me)} == {t.id for t in ahead}
    assert QueueAheadEstimate().predict(v, me) == 2 * 600 + 300


def test_v0_divides_by_counters_able_to_serve_now() -> None:
    ahead = [ticket("FX", age=300 - i) for i in range(4)]
    me = ticket("FX", age=0)
    skilled = counter(["FX"], id=1, skills=frozenset({"fx"}))
    unskilled = counter(["FX"], id=2)
    closed = Counter(3, 3, CounterKind.REGULAR, ("FX",))
    paused = counter(["FX"], id=4, skills=frozenset({"fx"}))
    paused.pause()
    v = view([skilled, unskilled, closed, paused], [*ahead, me])
    assert [c.id for c in v.able_counters("FX")] == [1, 4]
    assert QueueAheadEstimate().predict(v, me) == 4 * 900 // 2


def test_v0_with_nobody_open_uses_the_configured_counters() -> None:
    ahead = [ticket("DEP", age=300 - i) for i in range(3)]
    me = ticket("DEP", age=0)
    closed = [Counter(i, i, CounterKind.REGULAR, ("DEP",)) for i in (1, 2, 3)]
    assert all(c.state is CounterState.CLOSED for c in closed)
    assert QueueAheadEstimate().predict(view(closed, [*ahead, me]), me) == 300


def test_v0_none_when_no_counter_is_configured_for_the_service() -> None:
    me = ticket("LOAN")
    v = view([counter(["DEP"]), counter(["CASH"], id=2)], [ticket("DEP", age=100), me])
    assert QueueAheadEstimate().predict(v, me) is None


def test_v0_ignores_events_and_the_lobby_records_its_estimate() -> None:
    v0 = QueueAheadEstimate()
    me = ticket("DEP", age=0)
    v = view([counter(["DEP"])], [ticket("DEP", age=100), me])
    before = v0.predict(v, me)
    for kind in ("issued", "called", "completed"):
        v0.observe(LobbyEvent(kind, NOW, 1, "DEP", "normal", 1))
    assert v0.predict(v, me) == before == 300
    lobby = Lobby.of(
        SERVICES.values(),
        [Counter(1, 1, CounterKind.REGULAR, ("DEP",)), Counter(2, 2, CounterKind.REGULAR, ())],
    )
    first = lobby.issue("DEP", NOW)
    second = lobby.issue("DEP", NOW)
    third = lobby.issue("DEP", NOW + sec(1))
    assert (first.predicted_wait_s, second.predicted_wait_s, third.predicted_wait_s) == (
        0,
        300,
        600,
    )
    # No counter serves LOAN: v0 has no estimate, and the lobby (like the use case) issues
    # no ticket that nobody could call.
    assert v0.predict(view([counter(["DEP"])], []), ticket("LOAN", age=0)) is None
    with pytest.raises(Conflict):
        lobby.issue("LOAN", NOW + sec(2))
