"""A replication pauses the cyclic garbage collector and leaves it as it found it.

The pause is only sound because a replication makes no reference cycles: reference
counting frees everything it drops, so the collector would find nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from manyi.forecast.replication import run_replication
from manyi.forecast.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.parametrize("name", ["mmc-3", "branch-day", "pension-day"])
@pytest.mark.parametrize("engine", ["fast", "lobby"])
def test_a_replication_leaves_no_cycles_and_the_collector_on(
    name: str, engine: str, collector_enabled: None
) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    scenario = replace(scenario, horizon_s=min(scenario.horizon_s, 2000 * 60))
    gc.collect()
    run_replication(scenario, 0, engine=engine)
    assert gc.isenabled()
    assert gc.collect() == 0


def test_a_collector_switched_off_stays_off(collector_enabled: None) -> None:
    gc.disable()
    run_replication(load_scenario(SCENARIOS / "branch-day.yaml"), 0)
    assert not gc.isenabled()
