"""The simulator: queueing theory, Ciw, the lobby engine itself, and hand-checked cases."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from manyi.forecast import cli_simulate
from manyi.forecast.kpi import Estimate, quantile, t_quantile_975
from manyi.forecast.scenario import load_scenario, parse_scenario
from manyi.forecast.simulation import (
    open_intervals,
    run_replication,
    run_scenario,
)
from manyi.lobby.domain.predict import LobbyView

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c with offered load `load` (erlangs)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("simulate")(cli_simulate.simulate_command)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps "simulate" a sub-command
        pass

    return app


# --- validation against theory and against Ciw -------------------------------------------


def test_mm3_reproduces_erlang_c() -> None:
    """M/M/3, λ = 0.2/min, mean service 10 min: Erlang C mean wait 4.444 min, P(wait) 0.444."""
    scenario = load_scenario(SCENARIOS / "mmc-3.yaml")
    p_wait = erlang_c(3, 2.0)
    assert p_wait == pytest.approx(0.4444, abs=1e-4)
    expected_wait_s = p_wait / (3 * 0.1 - 0.2) * 60  # C / (cμ − λ), in seconds
    assert expected_wait_s == pytest.approx(266.67, abs=0.01)

    # 150 replications × 19,000 measured minutes ≈ 570,000 customers: the interval is
    # about ±2.3 %, so "within 3 %" is a real check and not luck.
    summary = run_scenario(scenario, replications=150).summary
    wait = summary.mean_wait_s
    assert wait.contains(expected_wait_s), wait
    assert abs(wait.mean / expected_wait_s - 1) < 0.03
    assert wait.half_width is not None and wait.half_width / expected_wait_s < 0.03
    # P(W ≤ t) = 1 − C·e^{−(cμ − λ)t}: the service level at 10 minutes.
    assert summary.service_level.contains(1 - p_wait * math.exp(-(0.3 - 0.2) * 10))
    assert summary.utilisation.contains(2 / 3)
    assert summary.customers > 500_000


def priority_waits_s(arrivals_per_hour: float, vip_share: float) -> dict[str, float]:
    """Non-preemptive two-class M/M/3 (same service rate): W_k = C/(cμ) / ((1−σ_{k−1})(1−σ_k))."""
    lam, mu, c = arrivals_per_hour / 60, 0.1, 3
    wait0 = erlang_c(c, lam / mu) / (c * mu)
    s_vip = vip_share * lam / (c * mu)
    s_all = lam / (c * mu)
    return {"vip": wait0 / (1 - s_vip) * 60, "normal": wait0 / ((1 - s_vip) * (1 - s_all)) * 60}


def test_two_classes_agree_with_ciw_and_with_theory() -> None:
    ciw = pytest.importorskip("ciw")  # a dev dependency; CI installs it
    scenario = load_scenario(SCENARIOS / "two-class.yaml")
    ours = run_scenario(scenario).summary.per_class

    lam = 14 / 60  # per minute
    horizon, warmup = scenario.horizon_s / 60, scenario.warmup_s / 60
    theirs: dict[str, list[float]] = {"vip": [], "normal": []}
    for replication in range(scenario.replications):
        ciw.seed(1000 + replication)
        network = ciw.create_network(
            arrival_distributions={
                "vip": [ciw.dists.Exponential(rate=0.3 * lam)],
                "normal": [ciw.dists.Exponential(rate=0.7 * lam)],
            },
            service_distributions={
                "vip": [ciw.dists.Exponential(rate=0.1)],
                "normal": [ciw.dists.Exponential(rate=0.1)],
            },
            number_of_servers=[3],
            priority_classes={"vip": 0, "normal": 1},  # lower is served first, no preemption
        )
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(horizon)
        records = sim.get_all_records()
        for klass, waits in theirs.items():
            mine = [
                r.waiting_time * 60
                for r in records
                if r.customer_class == klass and r.arrival_date >= warmup
            ]
            waits.append(sum(mine) / len(mine))

    theory = priority_waits_s(14, 0.3)
    for klass in ("vip", "normal"):
        a, b = ours[klass], Estimate.of(theirs[klass])
        assert a.half_width is not None and b.half_width is not None
        # The two intervals overlap, and the difference is within its own 95 % interval.
        assert a.low is not None and b.low is not None
        assert a.high is not None and b.high is not None
        assert a.low <= b.high and b.low <= a.high
        se = math.hypot(a.half_width, b.half_width) / t_quantile_975(scenario.replications - 1)
        assert abs(a.mean - b.mean) <= 1.96 * se, (klass, a, b)
        assert a.contains(theory[klass]), (klass, a, theory[klass])
    assert ours["vip"].mean < ours["normal"].mean / 3


# --- the lobby's own rules ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["branch-day", "pension-day"])
def test_fast_floor_makes_the_lobby_engines_calls(name: str) -> None:
    """The default floor and `lobby.engine.Lobby` call the same ticket at the same moment."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    for index in range(3):
        fast = run_replication(scenario, index, engine="fast", trace=True)
        lobby = run_replication(scenario, index, engine="lobby", trace=True)
        assert fast.calls == lobby.calls
        assert fast.customers == lobby.customers
        assert fast.counters == lobby.counters
        assert len(fast.calls) > 200


def test_regular_counters_share_calls_by_the_weighted_cycle() -> None:
    """The same customers at regular counters: the default weights (VIP 1, normal 2) give the
    VIP line a third of the contested calls, not all of them. With 30 % VIP customers that is
    no lead at all; the mean wait over everyone stays what it was (same work, no idling)."""
    scenario = load_scenario(SCENARIOS / "two-class.yaml")
    regular = [{"number": n, "services": ["A"]} for n in (1, 2, 3)]
    data = scenario_dict(
        counters=regular,
        services=[
            {
                "code": "A",
                "arrivals_per_hour": 14,
                "service_time": {"distribution": "exponential", "mean_s": 600},
                "classes": {"normal": 0.7, "vip": 0.3},
            }
        ],
        horizon_minutes=scenario.horizon_s / 60,
        warmup_minutes=scenario.warmup_s / 60,
        seed=scenario.seed,
    )
    fair = run_scenario(parse_scenario(data), replications=10).summary
    strict = run_scenario(scenario, replications=10).summary
    assert fair.per_class["vip"].mean > 2 * strict.per_class["vip"].mean
    assert fair.per_class["normal"].mean < strict.per_class["normal"].mean
    assert 0.7 < fair.per_class["vip"].mean / fair.per_class["normal"].mean < 1.4
    assert fair.mean_wait_s.mean == pytest.approx(strict.mean_wait_s.mean, rel=0.05)


def test_open_windows_are_respected() -> None:
    """No call at a counter outside its windows; after the horizon only counters left open."""
    scenario = load_scenario(SCENARIOS / "branch-day.yaml")
    for index in range(5):
        run = run_replication(scenario, index, trace=True)
        for spec in scenario.counters:
            windows = open_intervals(spec, scenario)
            open_at_horizon = windows[-1][1] >= scenario.horizon_s
            calls = [c for c in run.calls if c.counter == spec.number]
            assert calls
            for call in calls:
                inside = any(a <= call.at_s < b for a, b in windows)
                assert inside or (open_at_horizon and call.at_s >= scenario.horizon_s), call
        lunch = [c for c in run.calls if c.counter == 3 and 3 * 3600 <= c.at_s < 4 * 3600]
        assert not lunch  # counter 3 is closed 12:00–13:00
        flexible = {c.at_s // 3600 for c in run.calls if c.counter == 8}
        assert flexible <= {1, 2, 5, 6}  # 10:00–12:00 and 14:00–16:00


def test_counter_hours_and_busy_time_by_hand() -> None:
    """09:00–11:00: counter 1 open throughout, counter 2 from 09:30 to 10:00, so 2.5 h.
    Customers come only 10:15–10:30 and take exactly 5 min: busy time is 300 s each."""
    data = scenario_dict(
        start="09:00",
        horizon_minutes=120,
        drain=False,
        services=[
            {
                "code": "A",
                "arrivals_per_hour": [{"from": "10:15", "to": "10:30", "per_hour": 6}],
                "service_time": {"distribution": "fixed", "mean_s": 300},
            }
        ],
        counters=[
            {"number": 1, "services": ["A"]},
            {"number": 2, "services": ["A"], "open": [{"from": "09:30", "to": "10:00"}]},
        ],
    )
    for index in range(10):
        run = run_replication(parse_scenario(data), index)
        assert {c.number: c.open_s for c in run.counters} == {1: 7200, 2: 1800}
        assert run.counters[0].busy_s == 300 * len(run.customers)
        assert all(c.outcome == "served" for c in run.customers)
    summary = run_scenario(parse_scenario(data), replications=10).summary
    assert (summary.counter_hours.mean, summary.counter_hours.low) == (2.5, 2.5)
    # With a 30-minute warm-up only 09:30–11:00 counts: 1.5 h + 0.5 h.
    data["warmup_minutes"] = 30
    summary = run_scenario(parse_scenario(data), replications=3).summary
    assert summary.counter_hours.mean == pytest.approx(2.0)


def test_a_closing_counter_finishes_its_customer() -> None:
    """Counter 2's window ends at 10:00; a customer called before then is served to the end,
    and the counter-hours include that time."""
    data = scenario_dict(
        start="09:00",
        horizon_minutes=120,
        drain=False,
        services=[
            {
                "code": "A",
                "arrivals_per_hour": 20,
                "service_time": {"distribution": "fixed", "mean_s": 300},
            }
        ],
        counters=[
            {"number": 1, "services": ["A"]},
            {"number": 2, "services": ["A"], "open": [{"from": "09:30", "to": "10:00"}]},
        ],
    )
    late = 0
    for index in range(10):
        run = run_replication(parse_scenario(data), index, trace=True)
        last_call = max(c.at_s for c in run.calls if c.counter == 2)
        assert 1800 <= last_call < 3600
        closed_at = max(3600.0, last_call + 300)
        assert run.counters[1].open_s == pytest.approx(closed_at - 1800)
        late += closed_at > 3600
    assert late  # the case did happen


def test_no_shows_transfers_and_giving_up() -> None:
    base = scenario_dict(
        horizon_minutes=600,
        services=[
            {
                "code": "A",
                "arrivals_per_hour": 6,
                "service_time": {"distribution": "fixed", "mean_s": 120},
            },
            {
                "code": "B",
                "arrivals_per_hour": 0,
                "service_time": {"distribution": "fixed", "mean_s": 200},
            },
        ],
        counters=[{"number": 1, "services": ["A"]}, {"number": 2, "services": ["B"]}],
    )
    no_shows = copy.deepcopy(base)
    no_shows["services"][0]["no_show_share"] = 1.0
    run = run_replication(parse_scenario(no_shows), 0)
    assert {c.outcome for c in run.customers} == {"no_show"}
    # Called, recalled after 30 s, marked a no-show 30 s later: 60 s at the counter each.
    assert run.counters[0].busy_s == pytest.approx(60 * len(run.customers))

    transfers = copy.deepcopy(base)
    transfers["services"][0].update(transfer_share=1.0, transfer_to="B")
    run = run_replication(parse_scenario(transfers), 0, trace=True)
    assert all(c.transferred and c.outcome == "served" for c in run.customers)
    assert run.counters[0].busy_s == pytest.approx(120 * len(run.customers))
    assert run.counters[1].busy_s == pytest.approx(200 * len(run.customers))
    assert {c.service for c in run.calls if c.counter == 2} == {"B"}

    impatient = copy.deepcopy(base)
    impatient["services"][0].update(
        arrivals_per_hour=60, patience={"distribution": "fixed", "mean_s": 60}
    )
    run = run_replication(parse_scenario(impatient), 0)
    gave_up = [c for c in run.customers if c.outcome == "abandoned"]
    assert gave_up and all(c.wait_s is None for c in gave_up)
    assert all(c.wait_s is not None and c.wait_s <= 60 for c in run.customers if c.wait_s)


def test_a_staffing_rule_opens_a_counter() -> None:
    """The hook the flexible-counter advice uses: open counter 2 when 3 or more wait."""

    class OpenWhenBusy:
        interval_s = 60.0

        def decide(self, t_s: float, view: LobbyView) -> Mapping[int, bool]:
            return {2: len(view.waiting) >= 3}

    data = scenario_dict(
        horizon_minutes=600,
        services=[
            {
                "code": "A",
                "arrivals_per_hour": 10,
                "service_time": {"distribution": "exponential", "mean_s": 420},
            }
        ],
        counters=[
            {"number": 1, "services": ["A"]},
            {"number": 2, "services": ["A"], "kind": "flexible", "open": []},
        ],
    )
    scenario = parse_scenario(data)
    fixed = run_scenario(scenario, replications=5).summary
    flexible = run_scenario(scenario, replications=5, control=OpenWhenBusy).summary
    assert flexible.mean_wait_s.mean < fixed.mean_wait_s.mean
    assert flexible.per_counter[2][1].mean > fixed.per_counter[2][1].mean


# --- reproducibility and the command -----------------------------------------------------


def test_same_seed_same_json_different_seed_different_numbers() -> None:
    runner = CliRunner()
    args = ["simulate", str(SCENARIOS / "branch-day.yaml"), "--replications", "4", "--json"]
    first = runner.invoke(cli(), args)
    again = runner.invoke(cli(), args)
    other = runner.invoke(cli(), [*args, "--seed", "8"])
    assert first.exit_code == 0, first.output
    assert first.output == again.output
    assert first.output != other.output
    data = json.loads(first.output)
    for key in ("mean_wait_s", "p90_wait_s", "max_wait_s", "service_level", "utilisation"):
        assert set(data[key]) == {"mean", "ci95"} and len(data[key]["ci95"]) == 2
    assert data["customers"] > 1000 and data["replications"] == 4
    assert set(data["per_class"]) == {"green", "vip", "appointment", "normal"}
    assert set(data["per_service"]) == {"A", "B", "C", "V", "K"}
    assert json.loads(other.output)["seed"] == 8


def test_processes_give_the_same_numbers() -> None:
    scenario = load_scenario(SCENARIOS / "pension-day.yaml")
    one = run_scenario(scenario, replications=4).summary
    two = run_scenario(scenario, replications=4, workers=2).summary
    assert one == two


def test_the_command_prints_a_table_and_refuses_a_bad_file(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli(), ["simulate", str(SCENARIOS / "pension-day.yaml"), "--replications", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "mean wait" in result.output and "counter-hours" in result.output
    assert "95 % CI" in result.output and "green" in result.output

    bad = tmp_path / "bad.yaml"
    data = scenario_dict()
    data["services"][0]["service_time"]["mean_s"] = -5
    bad.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML too
    result = runner.invoke(cli(), ["simulate", str(bad)])
    assert result.exit_code == 2
    assert "services[0].service_time.mean_s: must be > 0" in result.output


# --- statistics ----------------------------------------------------------------------------


def test_student_t_and_quantiles() -> None:
    known = {1: 12.7062, 2: 4.3027, 5: 2.5706, 9: 2.2622, 29: 2.0452, 100: 1.9840, 10**5: 1.9600}
    for df, t in known.items():
        assert t_quantile_975(df) == pytest.approx(t, abs=1e-4)
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([5], 0.9) == 5
    single = Estimate.of([3.0])
    assert single.low is None and single.as_json() == {"mean": 3.0, "ci95": None}
    e = Estimate.of([1.0, 2.0, 3.0])
    assert e.mean == 2 and e.half_width == pytest.approx(4.3027 / math.sqrt(3), abs=1e-4)


def scenario_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "t",
        "horizon_minutes": 120,
        "replications": 3,
        "services": [
            {
                "code": "A",
                "arrivals_per_hour": 12,
                "service_time": {"distribution": "exponential", "mean_s": 300},
            }
        ],
        "counters": [{"number": 1, "services": ["A"]}],
    }
    data.update(changes)
    return data
