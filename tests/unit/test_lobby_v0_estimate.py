"""Dispatch: the v0 wait estimate (people ahead times the recent mean service time over the
counters able to serve), its fallbacks, and the estimate the lobby records."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from manyi.errors import Conflict
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterKind, CounterState
from manyi.lobby.domain.predict import LobbyEvent, LobbyView, QueueAheadEstimate
from manyi.lobby.domain.ticket import Ticket
from tests.lobby_dispatch_helpers import NOW, SERVICES, G, N, V, counter, sec, ticket

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
