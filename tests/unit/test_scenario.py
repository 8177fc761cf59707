"""Scenario files: every documented key is read, and every error names its key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from manyi.errors import InvalidInput
from manyi.forecast.scenario import ScenarioError, load_scenario, parse_scenario
from manyi.lobby.domain.model import DEFAULT_WEIGHTS, CounterKind, PriorityClass

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

BASE: dict[str, Any] = {
    "name": "t",
    "horizon_minutes": 120,
    "services": [
        {
            "code": "A",
            "arrivals_per_hour": 12,
            "service_time": {"distribution": "exponential", "mean_s": 600},
        }
    ],
    "counters": [{"number": 1, "services": ["A"]}],
}


def with_(path: str, value: object) -> dict[str, Any]:
    """BASE with one key set (or removed when value is ...): path like services.0.code."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.services and scenario.counters


def test_the_issue_example_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "mmc.yaml"
    path.write_text(
        """
name: mmc-3
horizon_minutes: 20000     # simulated time per replication
warmup_minutes: 1000       # excluded from statistics
replications: 30
seed: 1
target_wait_s: 600
services:
  - code: A
    arrivals_per_hour: 12
    service_time: {distribution: exponential, mean_s: 600}
    classes: {normal: 1.0}
counters:
  - {number: 1, services: [A]}
  - {number: 2, services: [A], open: [{from: "09:00", to: "17:00"}], kind: flexible}
""",
        encoding="utf-8",
    )
    sc = load_scenario(path)
    assert (sc.horizon_s, sc.warmup_s, sc.replications, sc.seed) == (1_200_000, 60_000, 30, 1)
    assert sc.target_wait_s == 600
    a = sc.services[0]
    assert a.arrivals.per_hour == 12 and a.arrivals.windows == ()
    assert (a.service_time.kind, a.service_time.mean_s) == ("exponential", 600)
    assert a.classes == ((PriorityClass.NORMAL, 1.0),)
    flexible = sc.counters[1]
    assert flexible.kind is CounterKind.FLEXIBLE
    assert [(w.start_s, w.end_s) for w in flexible.open] == [(9 * 3600, 17 * 3600)]
    assert sc.policy.weights == DEFAULT_WEIGHTS and sc.policy.ageing_s == 900


def test_all_optional_keys(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    # Unquoted 10:00 is base-60 600 in YAML 1.1; the loader keeps it as a time of day.
    path.write_text(
        """
name: full
start: "08:30"
horizon_minutes: 480
drain: false
recall_interval_s: 45
policy: {weights: {vip: 3}, ageing_s: 1200, no_show_after_calls: 3}
services:
  - code: A
    name: 现金
    prefix: X
    arrivals_per_hour:
      - {from: 10:00, to: "11:00", per_hour: 40}
      - {from: "09:00", to: "10:00", per_hour: 1e1}
    service_time: {distribution: lognormal, mean_s: 300, sd_s: 120}
    classes: {normal: 0.5, green: 0.25, vip: 0.125, appointment: 0.125}
    no_show_share: 0.1
    transfer_share: 0.2
    transfer_to: K
    patience: {distribution: fixed, mean_s: 1800}
  - code: K
    fast_lane: true
    skill: cash
    arrivals_per_hour: 0
    service_time: {distribution: empirical, values_s: [60, 120, 180]}
counters:
  - {number: 7, kind: fast_lane, services: [K, A], skills: [cash]}
""",
        encoding="utf-8",
    )
    sc = load_scenario(path)
    assert sc.start_s == 8 * 3600 + 1800 and sc.drain is False and sc.recall_interval_s == 45
    assert sc.policy.weights[PriorityClass.VIP] == 3 and sc.policy.no_show_after_calls == 3
    assert sc.policy.weights[PriorityClass.GREEN] == DEFAULT_WEIGHTS[PriorityClass.GREEN]
    a, k = sc.services
    assert [(w.start_s, w.per_hour) for w in a.arrivals.windows] == [(32400, 10.0), (36000, 40.0)]
    assert a.arrivals.mean_per_hour_at(10.5 * 3600) == 40 and a.arrivals.mean_per_hour_at(0) == 0
    assert (a.name, a.prefix, a.transfer_to, a.transfer_share, a.no_show_share) == (
        "现金",
        "X",
        "K",
        0.2,
        0.1,
    )
    assert a.service_time.sd_s == 120 and a.patience is not None and a.patience.kind == "fixed"
    assert k.service_time.values_s == (60, 120, 180) and k.service_time.mean_s == 120
    assert k.fast_lane and k.skill == "cash"
    assert sc.counters[0].skills == frozenset({"cash"}) and sc.counters[0].number == 7


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (with_("services.0.service_time.mean_s", 0), "services[0].service_time.mean_s", "> 0"),
        (with_("horizon_minutes", ...), "horizon_minutes", "required"),
        (with_("horizon_minutes", "long"), "horizon_minutes", "number"),
        (with_("warmup_minutes", 120), "warmup_minutes", "shorter"),
        (with_("replications", 0), "replications", "from 1"),
        (with_("seed", 1.5), "seed", "whole number"),
        (with_("drain", "yes please"), "drain", "true or false"),
        (with_("horizon", 3), "horizon", "unknown key"),
        (with_("services.0.servce_time", {}), "services[0].servce_time", "unknown key"),
        (with_("services.0.code", "a b"), "services[0].code", "capital letters"),
        (with_("services.0.service_time", ...), "services[0].service_time", "required"),
        (
            with_("services.0.service_time", {"distribution": "gamma", "mean_s": 3}),
            "services[0].service_time.distribution",
            "one of",
        ),
        (
            with_("services.0.service_time", {"distribution": "lognormal", "mean_s": 3}),
            "services[0].service_time.sd_s",
            "required",
        ),
        (
            with_("services.0.service_time", {"distribution": "exponential", "sd_s": 3}),
            "services[0].service_time.sd_s",
            "not used",
        ),
        (
            with_("services.0.service_time", {"distribution": "empirical", "values_s": [1, -2]}),
            "services[0].service_time.values_s[1]",
            "≥ 0",
        ),
        (with_("services.0.arrivals_per_hour", -1), "services[0].arrivals_per_hour", "≥ 0"),
        (
            with_(
                "services.0.arrivals_per_hour",
                [
                    {"from": "09:00", "to": "11:00", "per_hour": 5},
                    {"from": "10:00", "to": "12:00", "per_hour": 5},
                ],
            ),
            "services[0].arrivals_per_hour[1]",
            "overlaps",
        ),
        (
            with_("services.0.arrivals_per_hour", [{"from": "09:00", "to": "11:00"}]),
            "services[0].arrivals_per_hour[0].per_hour",
            "required",
        ),
        (with_("services.0.classes", {"normal": 0.5}), "services[0].classes", "add up to 1"),
        (with_("services.0.classes", {"gold": 1.0}), "services[0].classes.gold", "unknown key"),
        (with_("services.0.no_show_share", 1.5), "services[0].no_show_share", "≤ 1"),
        (with_("services.0.transfer_share", 0.1), "services[0].transfer_to", "required"),
        (with_("services.0.transfer_to", "Z"), "services[0].transfer_to", "unknown service"),
        (with_("services.0.skill", "corporate"), "services[0].code", "no counter serves"),
        (with_("counters.0.services", ["Z"]), "counters[0].services[0]", "unknown service"),
        (with_("counters.0.services", []), "counters[0].services", "at least one"),
        (with_("counters.0.kind", "express"), "counters[0].kind", "one of"),
        (with_("counters.0.number", 0), "counters[0].number", "from 1"),
        (
            with_("counters.0.open", [{"from": "9am", "to": "17:00"}]),
            "counters[0].open[0].from",
            "HH:MM",
        ),
        (
            with_("counters.0.open", [{"from": "17:00", "to": "09:00"}]),
            "counters[0].open[0].to",
            "after from",
        ),
        (with_("counters", []), "counters", "at least one"),
        (with_("policy", {"weights": {"vip": 0}}), "policy.weights.vip", "from 1"),
        (with_("policy", {"ageing_s": 10}), "policy.ageing_s", "from 60"),
        (with_("start", "25:00"), "start", "HH:MM"),
    ],
)
def test_errors_name_their_key(data: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.field == field
    assert words in caught.value.text()
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, InvalidInput)


def test_duplicates_are_refused() -> None:
    data = copy.deepcopy(BASE)
    data["counters"].append({"number": 1, "services": ["A"]})
    with pytest.raises(ScenarioError, match=r"^counters\[1\]\.number: duplicate"):
        parse_scenario(data)
    data = copy.deepcopy(BASE)
    data["services"].append(copy.deepcopy(data["services"][0]))
    with pytest.raises(ScenarioError, match=r"^services\[1\]\.code: duplicate"):
        parse_scenario(data)


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nservices: [\n  - code: A\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML at line"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "missing.yaml")
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(path)
