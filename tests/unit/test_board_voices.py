"""The board's voice settings (lobby.domain.voices.check_voices, via Policy): a dialect voice
other than Mandarin, a speech rate and how long a call stays the board's big call."""

from __future__ import annotations

import pytest

from manyi.errors import InvalidInput
from manyi.lobby.domain.model import Policy
from manyi.lobby.domain.voices import (
    CALL_HOLD_RANGE,
    DEFAULT_CALL_HOLD_S,
    DEFAULT_SPEECH_RATE_PCT,
    SPEECH_RATE_RANGE,
)


def test_defaults_say_mandarin_only_at_the_boards_old_pace() -> None:
    policy = Policy()
    assert (policy.announce_en, policy.announce_dialect) == (False, "")
    assert policy.speech_rate_pct == DEFAULT_SPEECH_RATE_PCT == 90
    assert policy.call_hold_s == DEFAULT_CALL_HOLD_S == 10


@pytest.mark.parametrize("tag", ["zh-HK", "yue", "yue-HK", "wuu-CN", "nan-TW", "zh-Hant-HK"])
def test_dialect_voices_are_language_tags(tag: str) -> None:
    assert Policy(announce_dialect=tag).announce_dialect == tag


@pytest.mark.parametrize(
    "tag", ["zh-CN", "ZH-cn", "zh", "cmn", "Cantonese", "zh_HK", "zh-HK;", "x" * 30, "粤语"]
)
def test_a_dialect_is_not_mandarin_and_is_a_tag(tag: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Policy(announce_dialect=tag)
    assert info.value.field == "announce_dialect"


@pytest.mark.parametrize(
    ("field", "bounds"),
    [("speech_rate_pct", SPEECH_RATE_RANGE), ("call_hold_s", CALL_HOLD_RANGE)],
)
def test_rate_and_hold_bounds_are_inclusive(field: str, bounds: tuple[int, int]) -> None:
    low, high = bounds
    for value in (low, high):
        assert getattr(Policy(**{field: value}), field) == value
    for value in (low - 1, high + 1):
        with pytest.raises(InvalidInput) as info:
            Policy(**{field: value})
        assert info.value.field == field


def test_a_hold_shorter_than_an_announcement_is_refused() -> None:
    # Five seconds is the least: a Mandarin call at 90 % takes about three.
    assert CALL_HOLD_RANGE[0] == 5
    with pytest.raises(InvalidInput):
        Policy(call_hold_s=4)
