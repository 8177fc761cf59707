"""Erlang staffing, property-based: the service level grows with counters, and staff_for gives
the smallest number that meets the target."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.forecast.erlang import erlang_a, service_level
from manyi.forecast.staffing import staff_for

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
