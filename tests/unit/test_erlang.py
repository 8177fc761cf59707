"""Erlang C and Erlang A staffing against reference values and independent computations."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from manyi.errors import InvalidInput
from manyi.forecast import erlang, staffing
from manyi.forecast.cli_staffing import app
from manyi.forecast.erlang import (
    erlang_a,
    erlang_b,
    erlang_c,
    mean_wait_s,
    occupancy,
    service_level,
)
from manyi.forecast.staffing import staff_for

# A copy of the team's shared reference table (see tests/data/README.md).
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "erlang_c_reference.csv"


def reference_rows() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Erlang C ---------------------------------------------------------------------------


@pytest.mark.parametrize("row", reference_rows(), ids=lambda r: "-".join(list(r.values())[:4]))
def test_reference_table(row: dict[str, str]) -> None:
    aht = float(row["mean_service_s"])
    load = float(row["arrivals_per_hour"]) * aht / 3600
    servers = int(row["servers"])
    target = float(row["target_s"])
    # The table is rounded to 4 decimals (probabilities) and 2 decimals (seconds).
    assert erlang_c(servers, load) == pytest.approx(float(row["p_wait"]), abs=6e-5)
    assert service_level(servers, load, aht, target) == pytest.approx(
        float(row["service_level"]), abs=6e-5
    )
    assert mean_wait_s(servers, load, aht) == pytest.approx(float(row["mean_wait_s"]), abs=6e-3)


def test_reference_table_is_there() -> None:
    assert len(reference_rows()) >= 10


def test_textbook_staffing_example() -> None:
    result = staff_for(200, 180, 20, 0.8)
    assert result.servers == 14
    assert result.service_level == pytest.approx(0.888, abs=5e-4)
    assert result.occupancy == pytest.approx(0.714, abs=5e-4)
    assert result.p_wait == pytest.approx(0.174, abs=5e-4)
    assert result.mean_wait_s == pytest.approx(7.84, abs=5e-3)
    assert result.staff == 14
    assert result.abandon is None
    # 13 counters are not enough: the answer is the smallest.
    assert service_level(13, 10, 180, 20) < 0.8


def test_mmc_simulator_check_values() -> None:
    # λ = 0.2 a minute, μ = 0.1 a minute: load 2 Erlangs, mean service 600 s.
    assert mean_wait_s(3, 2.0, 600) / 60 == pytest.approx(4.444, abs=5e-4)
    assert erlang_c(3, 2.0) == pytest.approx(0.444, abs=5e-4)
    assert mean_wait_s(4, 2.0, 600) / 60 == pytest.approx(0.870, abs=5e-4)


def test_erlang_b_small_cases_and_limits() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_b(2000, 1500.0) == pytest.approx(erlang_b(2000, 1500.0), rel=1e-12)
    assert 0.0 <= erlang_b(2000, 1.0) < 1e-300  # underflows gracefully, no overflow


def test_unstable_queue() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert service_level(10, 12.0, 180, 20) == 0.0
    assert mean_wait_s(10, 10.0, 180) == math.inf
    assert occupancy(10, 12.0) == 1.0
    assert occupancy(14, 10.0) == pytest.approx(10 / 14)


def test_shrinkage_rounds_up_staff() -> None:
    assert staff_for(200, 180, 20, 0.8, shrinkage=0.3).staff == 20  # 14 / 0.7 exactly
    assert staff_for(200, 180, 20, 0.8, shrinkage=0.25).staff == 19  # 18.67
    assert staff_for(200, 180, 20, 0.8, shrinkage=0.3).servers == 14


def test_no_arrivals_need_no_counters() -> None:
    result = staff_for(0, 180, 20, 0.8)
    assert (result.servers, result.staff, result.service_level) == (0, 0, 1.0)
    assert staff_for(0, 180, 20, 0.8, patience_s=300).abandon == 0.0


def test_large_load_is_sane() -> None:
    # How long these take is measured by bench/staffing.py, not here.
    c = staff_for(5000, 180, 20, 0.8)
    a = staff_for(5000, 180, 20, 0.8, patience_s=600)
    far = staff_for(50_000, 240, 30, 0.9, patience_s=900, max_servers=5000)
    load = 5000 * 180 / 3600
    assert load < c.servers < load + 20
    assert service_level(c.servers - 1, load, 180, 20) < 0.8 <= c.service_level
    assert 0.9 < c.occupancy < 1.0
    assert 0 < c.mean_wait_s < 60
    assert a.servers <= c.servers
    assert a.abandon is not None and 0 < a.abandon < 0.1
    assert far.service_level >= 0.9
    assert far.abandon is not None and 0 <= far.abandon < 0.1


def test_patience_far_beyond_the_load() -> None:
    # Long enough that a few counters would mean a queue of millions: Erlang C's answer.
    assert staff_for(5000, 180, 20, 0.8, patience_s=1e9).servers == 259
    with pytest.raises(InvalidInput) as caught:
        erlang_a(1, 1000.0, 180, 1e9, 20)
    assert caught.value.field == "patience_s"


def test_more_than_max_servers_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        staff_for(50_000, 180, 20, 0.8)
    assert caught.value.field == "arrivals_per_hour"
    with pytest.raises(InvalidInput):
        staff_for(200, 180, 20, 0.8, patience_s=300, max_servers=5)


# --- Erlang A ---------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [11, 14, 20])
def test_erlang_a_converges_to_erlang_c(servers: int) -> None:
    previous_gap = math.inf
    for patience in (1e3, 1e5, 1e7, 1e9):
        figures = erlang_a(servers, 10.0, 180, patience, 20)
        gap = abs(figures.p_wait - erlang_c(servers, 10.0))
        assert gap < previous_gap
        previous_gap = gap
    assert figures.p_wait == pytest.approx(erlang_c(servers, 10.0), abs=1e-5)
    assert figures.service_level == pytest.approx(service_level(servers, 10.0, 180, 20), abs=1e-5)
    assert figures.mean_wait_s == pytest.approx(mean_wait_s(servers, 10.0, 180), rel=1e-4)
    assert figures.abandon < 1e-5
    assert erlang_a(servers, 10.0, 180, math.inf, 20).p_wait == erlang_c(servers, 10.0)


def test_patience_means_fewer_counters() -> None:
    patient = staff_for(200, 180, 20, 0.8)
    impatient = staff_for(200, 180, 20, 0.8, patience_s=60)
    assert impatient.servers < patient.servers
    assert impatient.abandon is not None and 0 < impatient.abandon < 1
    assert impatient.service_level >= 0.8
    assert staff_for(200, 180, 20, 0.8, patience_s=1e7).servers == patient.servers


def test_erlang_a_overloaded_is_finite() -> None:
    # Twice the load the counters can serve: about half the customers must give up.
    figures = erlang_a(10, 20.0, 180, 1200, 20)
    assert figures.p_wait == pytest.approx(1.0, abs=1e-3)
    assert 0.49 < figures.abandon < 0.51
    assert figures.occupancy == pytest.approx(1.0, abs=1e-2)
    assert figures.mean_wait_s == pytest.approx(figures.abandon * 1200)
    # Hundreds of counters and a long patience: no overflow (bench/staffing.py times it).
    big = erlang_a(300, 400.0, 180, 3600, 20)
    assert 0.2 < big.abandon < 0.3 and big.p_wait == pytest.approx(1.0)


def birth_death(
    servers: int, lam: float, mu: float, theta: float, states: int = 600
) -> list[float]:
    """π_n for n = 0..states of the M/M/c+M chain, straight from the balance equations."""
    weights = [1.0]
    for n in range(1, states + 1):
        weights.append(weights[-1] * lam / (min(n, servers) * mu + max(n - servers, 0) * theta))
    total = sum(weights)
    return [w / total for w in weights]


def called_within(servers: int, mu: float, theta: float, queue: list[float], t: float) -> float:
    """Mass (weights `queue[k]` for k customers ahead) called within t, by uniformization of
    the tagged customer's chain: k → k-1 at cμ + kθ, 0 → called at cμ, gone at θ."""
    top = len(queue) - 1
    rate = servers * mu + (top + 1) * theta
    vector = list(queue)
    called = 0.0
    poisson = math.exp(-rate * t)
    result = 0.0
    steps = int(rate * t + 12 * math.sqrt(rate * t) + 30)
    for n in range(steps + 1):
        result += poisson * called
        poisson *= rate * t / (n + 1)
        moved = [0.0] * len(vector)
        called += vector[0] * servers * mu / rate
        for k, mass in enumerate(vector):
            leave = servers * mu + (k + 1) * theta
            moved[k] += mass * (1 - leave / rate)
            if k:
                moved[k - 1] += mass * (servers * mu + k * theta) / rate
        vector = moved
    return result


@pytest.mark.parametrize(
    ("servers", "per_hour", "aht", "patience", "target"),
    [(1, 30, 100, 60, 20), (2, 60, 90, 120, 30), (2, 100, 90, 200, 45)],
)
def test_erlang_a_small_case_by_hand(
    servers: int, per_hour: float, aht: float, patience: float, target: float
) -> None:
    lam, mu, theta = per_hour / 3600, 1 / aht, 1 / patience
    pi = birth_death(servers, lam, mu, theta)
    p_wait = sum(pi[servers:])
    mean_queue = sum((n - servers) * p for n, p in enumerate(pi) if n > servers)
    level = sum(pi[:servers]) + called_within(servers, mu, theta, pi[servers:], target)

    figures = erlang_a(servers, lam * aht, aht, patience, target)
    assert figures.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert figures.abandon == pytest.approx(theta * mean_queue / lam, rel=1e-9)
    assert figures.mean_wait_s == pytest.approx(mean_queue / lam, rel=1e-9)
    assert figures.service_level == pytest.approx(level, abs=1e-9)
    assert figures.occupancy == pytest.approx(lam * (1 - figures.abandon) / (servers * mu))


def test_erlang_a_one_counter_closed_form() -> None:
    # c = 1, t = 0: P(wait) is the busy share, λ·(1 - P(abandon))/μ.
    figures = erlang_a(1, 0.5, 60, 30, 0)
    assert figures.p_wait == pytest.approx(0.5 * (1 - figures.abandon))
    assert figures.service_level == pytest.approx(1 - figures.p_wait)


def test_erlang_a_without_target_wait_answers_everyone_eventually() -> None:
    figures = erlang_a(3, 2.5, 120, 90, 1e6)
    assert figures.service_level == pytest.approx(1 - figures.abandon, abs=1e-9)


# --- properties -------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=60),
    aht=st.floats(min_value=10, max_value=900),
    target=st.floats(min_value=0, max_value=1200),
    patience=st.none() | st.floats(min_value=5, max_value=3600),
)
def test_service_level_grows_with_counters(
    load: float, aht: float, target: float, patience: float | None
) -> None:
    previous = -1.0
    for servers in range(1, 81):
        if patience is None:
            level = service_level(servers, load, aht, target)
        else:
            level = erlang_a(servers, load, aht, patience, target).service_level
        assert 0.0 <= level <= 1.0
        assert level >= previous - 1e-9
        previous = level


@settings(max_examples=60, deadline=None)
@given(
    per_hour=st.floats(min_value=1, max_value=3000),
    aht=st.floats(min_value=30, max_value=900),
    wanted=st.floats(min_value=0.5, max_value=0.99),
    patience=st.none() | st.floats(min_value=10, max_value=3600),
)
def test_staff_for_is_the_smallest(
    per_hour: float, aht: float, wanted: float, patience: float | None
) -> None:
    result = staff_for(per_hour, aht, 20, wanted, patience_s=patience, max_servers=5000)
    load = per_hour * aht / 3600
    assert result.service_level >= wanted - 1e-9
    if patience is None:
        assert result.servers > load
    if result.servers > 1:
        fewer = result.servers - 1
        if patience is None:
            assert service_level(fewer, load, aht, 20) < wanted
        else:
            assert erlang_a(fewer, load, aht, patience, 20).service_level < wanted


# --- bad input --------------------------------------------------------------------------

GOOD = {"arrivals_per_hour": 200.0, "service_s": 180.0, "target_s": 20.0, "service_level": 0.8}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"arrivals_per_hour": -1.0}, "arrivals_per_hour"),
        ({"arrivals_per_hour": math.nan}, "arrivals_per_hour"),
        ({"arrivals_per_hour": math.inf}, "arrivals_per_hour"),
        ({"service_s": 0.0}, "service_s"),
        ({"service_s": -5.0}, "service_s"),
        ({"target_s": -1.0}, "target_s"),
        ({"service_level": 0.0}, "service_level"),
        ({"service_level": 1.0}, "service_level"),
        ({"service_level": 80.0}, "service_level"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"patience_s": 0.0}, "patience_s"),
        ({"patience_s": -30.0}, "patience_s"),
        ({"max_servers": 0}, "max_servers"),
    ],
)
def test_staff_for_bad_input(change: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        staff_for(**{**GOOD, **change})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.text()


def test_low_level_bad_input() -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: erlang_b(-1, 1.0), "servers"),
        (lambda: erlang_c(0, 1.0), "servers"),
        (lambda: erlang_c(3, -1.0), "load"),
        (lambda: service_level(3, 1.0, 0, 20), "aht_s"),
        (lambda: service_level(3, 1.0, 60, -1), "target_s"),
        (lambda: mean_wait_s(3, math.nan, 60), "load"),
        (lambda: erlang_a(3, 1.0, 60, 0, 20), "patience_s"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == field


def test_module_exports() -> None:
    assert set(erlang.__all__) >= {"erlang_b", "erlang_c", "erlang_a"}
    assert set(staffing.__all__) >= {"StaffingResult", "staff_for"}


# --- command line -----------------------------------------------------------------------

runner = CliRunner()
BASE = ["erlang", "--arrivals-per-hour", "200", "--service-s", "180", "--target-s", "20"]


def test_cli_json() -> None:
    result = runner.invoke(app, [*BASE, "--service-level", "0.8", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"servers", "p_wait", "service_level", "mean_wait_s", "occupancy", "staff"}
    assert data["servers"] == 14 and data["staff"] == 14
    assert data["service_level"] == pytest.approx(0.888, abs=5e-4)
    assert data["p_wait"] == pytest.approx(0.174, abs=5e-4)
    assert data["occupancy"] == pytest.approx(0.714, abs=5e-4)
    assert data["mean_wait_s"] == pytest.approx(7.84, abs=5e-3)


def test_cli_json_with_patience_and_shrinkage() -> None:
    args = [*BASE, "--service-level", "0.8", "--patience-s", "60", "--shrinkage", "0.3"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "servers",
        "p_wait",
        "service_level",
        "mean_wait_s",
        "occupancy",
        "staff",
        "abandon",
    }
    expected = staff_for(200, 180, 20, 0.8, shrinkage=0.3, patience_s=60)
    assert data["servers"] == expected.servers < 14
    assert data["staff"] == expected.staff
    assert data["abandon"] == pytest.approx(expected.abandon, abs=1e-6)


def test_cli_human_output() -> None:
    result = runner.invoke(app, [*BASE, "--service-level", "0.8", "--shrinkage", "0.3"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Erlang C" in text
    assert "14" in text and "88.8 %" in text and "17.4 %" in text and "71.4 %" in text
    assert "20" in text  # staff after 30 % shrinkage
    assert "abandon" not in text
    with_patience = runner.invoke(app, [*BASE, "--service-level", "0.8", "--patience-s", "60"])
    assert "Erlang A" in with_patience.stdout and "abandon" in with_patience.stdout


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--service-level", "1.5"], "--service-level"),
        (["--service-level", "80"], "--service-level"),
        (["--service-level", "0.8", "--shrinkage", "1"], "--shrinkage"),
        (["--service-level", "0.8", "--patience-s", "0"], "--patience-s"),
        (["--service-level", "0.8", "--arrivals-per-hour", "-3"], "--arrivals-per-hour"),
        (["--service-level", "0.8", "--arrivals-per-hour", "9000000"], "--arrivals-per-hour"),
    ],
)
def test_cli_bad_input(extra: list[str], option: str) -> None:
    result = runner.invoke(app, [*BASE, *extra])
    assert result.exit_code == 2
    assert option in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_bad_target_and_service_time() -> None:
    args = ["erlang", "--arrivals-per-hour", "200", "--service-level", "0.8"]
    result = runner.invoke(app, [*args, "--service-s", "0", "--target-s", "20"])
    assert result.exit_code == 2 and "--service-s" in result.stderr
    result = runner.invoke(app, [*args, "--service-s", "180", "--target-s", "-1"])
    assert result.exit_code == 2 and "--target-s" in result.stderr


def test_cli_is_a_group_ready_for_more_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "erlang" in result.stdout


def test_a_vanishing_target_is_no_target() -> None:
    # Found by hypothesis: 1 − e^(−θt) underflowed to 0 and its logarithm failed.
    tiny = erlang_a(1, 1.0, 10.0, 5.0, 5e-324)
    assert tiny.service_level == pytest.approx(1 - tiny.p_wait)
