"""The quicker paths of the simulator give exactly what the plain ones give.

- `express.run_plain` (scenarios with no no-shows, transfers, patience, windows
  or staffing rule) against the general event loop of `replication._Run`;
- `FastFloor.call_next` skipping `dispatch.choose` when everyone waiting stands in
  one line against `choose` itself (the same ticket and the same credits).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from manyi.forecast.express import is_plain
from manyi.forecast.floor import FastFloor
from manyi.forecast.replication import _Run, run_replication
from manyi.forecast.scenario import load_scenario
from manyi.lobby.domain import dispatch
from manyi.lobby.domain.model import Counter, CounterKind, Policy, PriorityClass, Service

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name", ["mmc-3", "two-class"])
@pytest.mark.parametrize("drain", [True, False])
def test_the_express_loop_gives_the_general_loops_replication(name: str, drain: bool) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    scenario = replace(scenario, horizon_s=min(scenario.horizon_s, 3000 * 60), drain=drain)
    assert is_plain(scenario, "fast", None)
    for index in range(2):
        quick = run_replication(scenario, index, trace=True)
        plain = _Run(scenario, index, "fast", True, None).run()
        assert quick.calls and quick == plain


def test_only_plain_scenarios_take_the_express_loop() -> None:
    mmc = load_scenario(SCENARIOS / "mmc-3.yaml")
    assert not is_plain(mmc, "lobby", None)
    for name in ("branch-day", "pension-day"):
        assert not is_plain(load_scenario(SCENARIOS / f"{name}.yaml"), "fast", None)


# Waiting lines as (class, service, sent to counter, seconds after the start it is issued):
# one ticket; one line with a tie in queue time (ids decide);
# two classes; two services; a ticket sent here; a ticket sent elsewhere; tickets booked for
# an hour after the start (an appointment not yet due queues as normal).
LINES = {
    "one": [(None, "A", None, 0)],
    "one line": [(None, "A", None, 10), (None, "A", None, 10), (None, "A", None, 20)],
    "two classes": [(None, "A", None, 0), (PriorityClass.NORMAL, "A", None, 5)],
    "two services": [(None, "B", None, 0), (None, "A", None, 5)],
    "sent here": [(None, "A", None, 0), (None, "A", 1, 5)],
    "sent elsewhere": [(None, "A", 2, 0), (None, "A", None, 5)],
    "booked": [(None, "A", None, 0), (None, "A", None, 5)],
}


@pytest.mark.parametrize("kind", list(CounterKind))
@pytest.mark.parametrize("klass", list(PriorityClass))
@pytest.mark.parametrize(
    "credits",
    [{}, {"normal": 0}, {"vip": 3}, {"green": -2}, {"appointment": 1}, {"normal": 1, "vip": -1}],
)
@pytest.mark.parametrize("waited_s", [0, 5000])
@pytest.mark.parametrize("line", list(LINES))
def test_the_floor_calls_whom_choose_calls(
    kind: CounterKind,
    klass: PriorityClass,
    credits: dict[str, int],
    waited_s: int,
    line: str,
) -> None:
    """`FastFloor.call_next` answers a line of one class and service without `choose`."""
    services = {
        "A": Service("A", "A", "A", 300, fast_lane=True),
        "B": Service("B", "B", "B", 300),
    }
    policy = Policy()
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    now = start + dt.timedelta(seconds=waited_s)

    def floor_and_counter() -> tuple[FastFloor, Counter]:
        counter = Counter(id=1, number=1, kind=kind, services=("A", "B"))
        floor = FastFloor(services, [counter], policy, {})
        floor.open(counter, start)
        counter.credits = dict(credits)
        for each, code, target, issued_s in LINES[line]:
            ticket = floor.issue(code, each or klass, start + dt.timedelta(seconds=issued_s))
            ticket.target_counter_id = target
            if line == "booked":
                ticket.due_at = start + dt.timedelta(hours=1)
        return floor, counter

    floor, counter = floor_and_counter()
    ticket = floor.call_next(counter, now)
    reference_floor, reference = floor_and_counter()
    pick = dispatch.choose(reference, list(reference_floor.waiting()), services, policy, now)
    assert pick is not None and ticket is not None
    assert ticket.id == pick.ticket.id and counter.credits == pick.credits
    assert ticket not in floor.waiting() and len(floor.waiting()) == len(LINES[line]) - 1
