"""Staffing refuses bad input with the field named, and the modules export what they offer."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from manyi.errors import InvalidInput
from manyi.forecast import erlang, staffing
from manyi.forecast.erlang import erlang_a, erlang_b, erlang_c, mean_wait_s, service_level
from manyi.forecast.staffing import staff_for

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
