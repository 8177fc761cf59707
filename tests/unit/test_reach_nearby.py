"""Near the outlet (reach.domain.nearby): the haversine distance on known pairs, and when the
link may check in."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.errors import InvalidInput
from manyi.reach.domain.nearby import (
    EARTH_RADIUS_M,
    Nearness,
    Position,
    distance_m,
    nearness,
    position_of,
)

ZGC = Position(39.98370, 116.31560)  # 中关村, the demo's outlet
LJZ = Position(31.23790, 121.49940)  # 陆家嘴
LONDON, PARIS = Position(51.5074, -0.1278), Position(48.8566, 2.3522)


@pytest.mark.parametrize(
    ("a", "b", "metres", "within"),
    [
        (ZGC, ZGC, 0.0, 0.001),
        # One degree of a great circle is 2πR/360 = 111,195.08 m, along a meridian or the equator.
        (Position(0, 0), Position(1, 0), 2 * math.pi * EARTH_RADIUS_M / 360, 0.01),
        (Position(0, 0), Position(0, 1), 2 * math.pi * EARTH_RADIUS_M / 360, 0.01),
        # Pole to pole: half the circumference.
        (Position(90, 0), Position(-90, 0), math.pi * EARTH_RADIUS_M, 0.01),
        # Across the date line the short way: 0.001° of longitude on the equator.
        (Position(0, 179.9995), Position(0, -179.9995), 111.195, 0.01),
        # London–Paris, 343.56 km by the haversine on the mean radius.
        (LONDON, PARIS, 343_556, 5),
        # Beijing's 中关村 to Shanghai's 陆家嘴, about 1,079 km.
        (ZGC, LJZ, 1_078_983, 5),
        # 0.0045° of latitude north of 中关村: about 500 m.
        (ZGC, Position(39.98820, 116.31560), 500.38, 0.05),
    ],
)
def test_known_distances(a: Position, b: Position, metres: float, within: float) -> None:
    assert distance_m(a, b) == pytest.approx(metres, abs=within)
    assert distance_m(b, a) == pytest.approx(metres, abs=within)


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_is_symmetric_and_never_more_than_half_round(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    a, b = Position(lat1, lon1), Position(lat2, lon2)
    assert 0 <= distance_m(a, b) <= math.pi * EARTH_RADIUS_M + 1e-6
    assert distance_m(a, b) == pytest.approx(distance_m(b, a), abs=1e-6)


def test_the_rule_asks_only_when_there_is_something_to_compare() -> None:
    near = Position(39.98500, 116.31560)  # ~145 m north
    far = Position(39.99500, 116.31560)  # ~1.26 km north (1,257 m)
    assert nearness(None, far, 500).nearness is Nearness.NOT_ASKED  # outlet without a position
    assert nearness(ZGC, None, 0).nearness is Nearness.NOT_ASKED  # radius 0: time only
    assert nearness(ZGC, None, 500).nearness is Nearness.UNKNOWN
    verdict = nearness(ZGC, near, 500)
    assert (verdict.nearness, verdict.distance_m, verdict.may_check_in) == (
        Nearness.NEAR,
        145,
        True,
    )
    verdict = nearness(ZGC, far, 500)
    assert (verdict.nearness, verdict.distance_m, verdict.may_check_in) == (
        Nearness.FAR,
        1257,
        False,
    )
    # At the radius exactly: still near.
    edge = distance_m(ZGC, Position(39.98820, 116.31560))
    assert nearness(ZGC, Position(39.98820, 116.31560), math.ceil(edge)).may_check_in


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        ("91", "116", "latitude"),
        ("39.9", "-180.5", "longitude"),
        ("nan", "116", "latitude"),
        ("inf", "116", "latitude"),
        ("abc", "116", "latitude"),
        ("39.9", "", "longitude"),
        ("", "116.3", "latitude"),
    ],
)
def test_bad_positions_name_the_field(latitude: str, longitude: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        position_of(latitude, longitude)
    assert (refused.value.field, refused.value.error_code) == (field, "bad_position")


def test_positions_from_posted_text() -> None:
    assert position_of(None, None) is None
    assert position_of("", " ") is None
    assert position_of(" 39.9837 ", "116.3156") == Position(39.9837, 116.3156)
    assert position_of(-90, 180) == Position(-90.0, 180.0)
