"""Lobby model rules: a service's and a policy's validation (codes, prefixes, weights, bounds,
announcement templates, opening hours, time zones)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from manyi.errors import InvalidInput
from manyi.lobby.domain.model import DEFAULT_WEIGHTS, Policy, PriorityClass
from manyi.lobby.domain.voices import (
    DEFAULT_ANNOUNCEMENT_EN,
    DEFAULT_ANNOUNCEMENT_ZH,
    announcement,
    check_announcement,
)
from tests.lobby_model_helpers import T0, service


def policy(**kw: Any) -> Policy:
    return Policy(**kw)


# --- Service validation ---------------------------------------------------------------


def test_valid_service_and_names() -> None:
    s = service(code="FX-1_B", name_en="Foreign exchange", prefix="Z")
    assert s.name("en") == "Foreign exchange"
    assert s.name("zh_CN") == "存款"
    assert service().name("en") == "存款"  # no English name: falls back to Chinese


@pytest.mark.parametrize("code", ["A", "0", "DEP", "A-B_C", "X" * 16, "9LIVES"])
def test_good_service_codes(code: str) -> None:
    assert service(code=code).code == code


@pytest.mark.parametrize(
    "code",
    ["", "dep", "Dep", "-DEP", "_DEP", "X" * 17, "DEP X", "DEP.1", "存款", "DEP\n", " DEP", "DEP "],
)
def test_bad_service_codes(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(code=code)
    assert info.value.field == "code"


@pytest.mark.parametrize("prefix", ["", "a", "AB", "1", "-", "Ä", "甲", "A\n", " A"])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(prefix=prefix)
    assert info.value.field == "prefix"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_service_needs_a_name(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        service(name_zh=name)
    assert info.value.field == "name_zh"


@pytest.mark.parametrize(("seconds", "ok"), [(9, False), (10, True), (14400, True), (14401, False)])
def test_expected_service_time_bounds(seconds: int, ok: bool) -> None:
    if ok:
        assert service(expected_service_s=seconds).expected_service_s == seconds
    else:
        with pytest.raises(InvalidInput) as info:
            service(expected_service_s=seconds)
        assert info.value.field == "expected_service_s"


# --- Policy validation ----------------------------------------------------------------


def test_default_policy_is_valid() -> None:
    p = Policy()
    assert dict(p.weights) == dict(DEFAULT_WEIGHTS)
    assert p.timezone == "Asia/Shanghai"


@pytest.mark.parametrize("klass", list(PriorityClass))
@pytest.mark.parametrize("bad", [0, -1, 101, 1.5, "2", None])
def test_bad_weights(klass: PriorityClass, bad: object) -> None:
    weights: dict[PriorityClass, Any] = dict(DEFAULT_WEIGHTS)
    weights[klass] = bad
    with pytest.raises(InvalidInput) as info:
        Policy(weights=weights)
    assert info.value.field == "weights"
    assert info.value.params["klass"] == klass.value


def test_missing_weight_is_rejected() -> None:
    weights: dict[PriorityClass, int] = {
        k: v for k, v in DEFAULT_WEIGHTS.items() if k is not PriorityClass.VIP
    }
    with pytest.raises(InvalidInput) as info:
        Policy(weights=weights)
    assert info.value.field == "weights"
    assert info.value.params["klass"] == "vip"


def test_weight_bounds_are_inclusive() -> None:
    Policy(weights=dict.fromkeys(PriorityClass, 1))
    Policy(weights=dict.fromkeys(PriorityClass, 100))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ageing_s", 59),
        ("ageing_s", 4 * 3600 + 1),
        ("no_show_after_calls", 0),
        ("no_show_after_calls", 6),
        ("requeue_grace_s", -1),
        ("requeue_grace_s", 3601),
        ("requeue_behind", -1),
        ("requeue_behind", 51),
        ("target_wait_s", 59),
        ("target_wait_s", 3 * 3600 + 1),
    ],
)
def test_policy_numbers_out_of_range(field: str, value: int) -> None:
    with pytest.raises(InvalidInput) as info:
        policy(**{field: value})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ageing_s", 60),
        ("ageing_s", 4 * 3600),
        ("no_show_after_calls", 1),
        ("no_show_after_calls", 5),
        ("requeue_grace_s", 0),
        ("requeue_grace_s", 3600),
        ("requeue_behind", 0),
        ("requeue_behind", 50),
        ("target_wait_s", 60),
        ("target_wait_s", 3 * 3600),
    ],
)
def test_policy_numbers_at_their_bounds(field: str, value: int) -> None:
    assert getattr(policy(**{field: value}), field) == value


BAD_TEMPLATES = [
    "",
    "   ",
    "{number}{counter}" + "x" * 190,  # 207 characters
    "请{number}号办理",  # no counter
    "请到{counter}号窗口",  # no number
    "{number}{counter}{teller}",  # unknown field
    "{number}{counter}{}",  # positional field
    "{number}{counter}{0}",
    "{number.upper}{counter}",  # attribute access
    "{number.no_such_thing}{counter}",
    "{number[0]}{counter}",  # indexing
    "{number}{counter}{",  # unmatched brace
    "{number}{counter}}",
    "{{number}}{counter}",  # escaped: no real {number}
    "{number:{service}}{counter}",  # a field nested in a format spec
    "{number:d}{counter}",  # a number is text: 'd' cannot format it
    "{number}{counter:s}",  # a counter is a whole number: 's' cannot format it
    "{number!x}{counter}",  # no such conversion
    "{number:%Y}{counter}",  # a date spec
]


@pytest.mark.parametrize("template", BAD_TEMPLATES)
@pytest.mark.parametrize("field", ["announcement_zh", "announcement_en"])
def test_bad_announcement_templates(template: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        policy(**{field: template})
    assert info.value.field == field


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_ANNOUNCEMENT_ZH,
        DEFAULT_ANNOUNCEMENT_EN,
        "{service}：请{number}号到{counter}号窗口",
        "{counter}{number}",
        "请{number}号到{counter:02d}号窗口",
        "{number!r} {counter}",
        "x" * 183 + "{number}{counter}",  # exactly 200 characters
    ],
)
def test_good_announcement_templates_format(template: str) -> None:
    check_announcement(template, "announcement_zh")
    text = announcement(template, "A012", 3, "存款")
    assert "A012" in text and "3" in text


def test_default_announcement_text() -> None:
    assert announcement(DEFAULT_ANNOUNCEMENT_ZH, "A012", 3) == "请A012号到3号窗口办理"
    assert announcement(Policy().announcement_zh, "A012", 3) == "请A012号到3号窗口办理"
    assert announcement(DEFAULT_ANNOUNCEMENT_EN, "A012", 3) == "Number A012, please go to counter 3"
    assert announcement("{service}: {number} → {counter}", "B007", 12, "外汇") == "外汇: B007 → 12"


def test_closing_must_follow_opening() -> None:
    for closes in (dt.time(8, 0), dt.time(8, 30)):
        with pytest.raises(InvalidInput) as info:
            Policy(opens_at=dt.time(8, 30), closes_at=closes)
        assert info.value.field == "closes_at"
    assert Policy(opens_at=dt.time(8, 30), closes_at=dt.time(8, 31)).closes_at == dt.time(8, 31)


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus", "", "asia/shanghai", "Asia/Shanghai\n", "../etc/passwd", "Asia"]
)
def test_unknown_time_zone(tz: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Policy(timezone=tz)
    assert info.value.field == "timezone"


def test_known_time_zones() -> None:
    assert Policy(timezone="Europe/Berlin").zone.key == "Europe/Berlin"
    assert Policy(timezone="UTC").business_day(T0) == dt.date(2026, 3, 10)
