"""Erlang C staffing against the reference table, a textbook example and an M/M/c simulator's
values, with its limits (unstable queues, shrinkage, large loads, the most counters)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from manyi.errors import InvalidInput
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
