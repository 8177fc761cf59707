"""Dispatch: where a re-queued ticket goes back into the line, directly and through the lobby."""

from __future__ import annotations

import datetime as dt

from manyi.lobby.domain import dispatch
from manyi.lobby.domain.dispatch import requeue_time
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterKind
from tests.lobby_dispatch_helpers import NOW, SERVICES, G, N, V, sec, ticket

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
