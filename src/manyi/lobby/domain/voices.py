"""What the board says: the announcement templates and the board's voice settings (an outlet's
`Policy` checks its own with these; see docs/lobby-screens.md, "Board voices")."""

from __future__ import annotations

import re
import string

from manyi.errors import InvalidInput

DEFAULT_ANNOUNCEMENT_ZH = "请{number}号到{counter}号窗口办理"
DEFAULT_ANNOUNCEMENT_EN = "Number {number}, please go to counter {counter}"
ANNOUNCEMENT_FIELDS = frozenset({"number", "counter", "service"})

# Speech rate in percent of the engine's normal pace. 90 % is the board's pace since the first
# release (a number and a counter said a little slower than conversation); an outlet whose
# customers are mostly elderly asks for 70 %. Below half a word blurs into syllables; above
# 120 % a number is missed across a hall.
DEFAULT_SPEECH_RATE_PCT = 90
SPEECH_RATE_RANGE = (50, 120)
# How long a call stays the board's big call before the next one replaces it. 10 s: a
# Mandarin and an English announcement at 90 % take about 7 s, and a customer who looks up at
# the end of them still has a few seconds to read the number; 5 s would hide a call while it
# is still being spoken. The counter tiles and the recent calls show every call at once.
DEFAULT_CALL_HOLD_S = 10
CALL_HOLD_RANGE = (5, 60)
# A language tag as speech engines name their voices: "zh-HK", "yue", "wuu-CN", "nan-TW".
_VOICE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")
MANDARIN_TAGS = frozenset({"zh", "zh-cn", "cmn", "cmn-cn", "zh-hans", "zh-hans-cn"})


def check_voices(dialect: str, rate_pct: int, hold_s: int) -> None:
    """The board's voice settings: a dialect other than Mandarin, a rate, a hold time."""
    if dialect and (not _VOICE_TAG.fullmatch(dialect) or dialect.lower() in MANDARIN_TAGS):
        raise InvalidInput(
            "dialect must be a voice language tag other than Mandarin, such as zh-HK",
            "announce_dialect",
        )
    low, high = SPEECH_RATE_RANGE
    if not low <= rate_pct <= high:
        raise InvalidInput(
            "speech rate must be between {low} % and {high} %",
            "speech_rate_pct",
            low=low,
            high=high,
        )
    low, high = CALL_HOLD_RANGE
    if not low <= hold_s <= high:
        raise InvalidInput(
            "a call must stay on the board between {low} and {high} s",
            "call_hold_s",
            low=low,
            high=high,
        )


def check_announcement(template: str, field_name: str) -> None:
    if not template.strip() or len(template) > 200:
        raise InvalidInput("announcement must be 1–200 characters", field_name)
    # A format spec may pad a field to any width ({number:>3000000}): the text a board shows
    # and every event and audit record would carry it. Bound what a call can become.
    if len(announcement_or_none(template) or "") > 400:
        raise InvalidInput("announcement must be 1–200 characters", field_name)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise InvalidInput("announcement has an unmatched brace", field_name) from None
    names = {name for _, name, _, _ in parts if name is not None}
    usable = names <= ANNOUNCEMENT_FIELDS and {"number", "counter"} <= names
    # A field nested in a format spec, or a spec or conversion that cannot format the
    # number (text) or the counter (a whole number), would fail at every call.
    if usable and any(spec and "{" in spec for _, _, spec, _ in parts):
        usable = False
    if usable:
        try:
            announcement(template, "A001", 1, "x")
        except (ValueError, TypeError):
            usable = False
    if not usable:
        raise InvalidInput(
            "announcement must use {{number}} and {{counter}} and nothing but "
            "{{number}}, {{counter}}, {{service}}",
            field_name,
        )


def announcement_or_none(template: str) -> str | None:
    """A call made with `template` for the widest number, counter and service; None if the
    template cannot make one."""
    try:
        return announcement(template, "A99999", 999, "x" * 40)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def announcement(template: str, number: str, counter: int, service: str = "") -> str:
    """The text a board shows and speaks, e.g. 请A012号到3号窗口办理."""
    return template.format(number=number, counter=counter, service=service)
