"""Customer messages' pure rules: templates, consent, quiet hours, staleness, the rate limit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from manyi.errors import InvalidInput
from manyi.reach.domain.messages import RULES, Kind, Purpose, check_template, default_text, render
from manyi.reach.domain.sending import (
    ConsentRecord,
    QuietHours,
    RateLimit,
    expires_at,
    has_consent,
    rate_decision,
    send_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def test_every_default_template_uses_only_its_kinds_values_in_both_languages() -> None:
    for kind in Kind:
        for lang in ("zh-CN", "en"):
            text = default_text(kind, lang)
            assert check_template(kind, text) == text


def test_a_rendered_turn_near_message_says_who_how_many_and_how_long() -> None:
    text = render(
        default_text(Kind.TURN_NEAR, "zh-CN"),
        {"number": "A012", "ahead": 3, "minutes": 8, "outlet": "中关村支行"},
    )
    assert text == "您的号码A012前面还有3位，预计约8分钟轮到您，请回到中关村支行大堂候叫。"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("请{number}号到{teller}窗口", "{teller} is not a value"),
        ("请{number号", "unmatched brace"),
        ("请{number:>5}号", "without a format"),
        ("   ", "empty"),
        ("字" * 301, "at most 300"),
    ],
)
def test_a_template_the_bank_types_is_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_template(Kind.CALLED, text)
    assert words in refused.value.text()
    assert refused.value.field == "text"


def test_braces_written_double_stay_in_the_text() -> None:
    assert render("{{注意}}请{number}号", {"number": "A1"}) == "{注意}请A1号"


def test_the_latest_decision_per_purpose_counts_and_a_code_needs_none() -> None:
    yes = ConsentRecord(Purpose.QUEUE, True, T0)
    no_later = ConsentRecord(Purpose.QUEUE, False, T0 + dt.timedelta(minutes=1))
    survey = ConsentRecord(Purpose.SURVEY, True, T0)
    assert has_consent(Purpose.QUEUE, [yes])
    assert not has_consent(Purpose.QUEUE, [no_later, yes])
    assert not has_consent(Purpose.APPOINTMENT, [yes, survey])
    assert has_consent(Purpose.VERIFICATION, [])


def test_a_message_that_can_wait_is_held_until_quiet_hours_end_a_live_one_is_not() -> None:
    quiet = QuietHours()
    late = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)  # 22:30 in Beijing
    morning = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)  # 08:00 the next day
    assert send_at(Kind.SURVEY_INVITATION, late, quiet, SHANGHAI) == morning
    early = dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)  # 05:00 in Beijing
    assert send_at(Kind.APPOINTMENT_REMINDER, early, quiet, SHANGHAI) == morning
    assert send_at(Kind.CALLED, late, quiet, SHANGHAI) == late
    assert send_at(Kind.SURVEY_INVITATION, T0, quiet, SHANGHAI) == T0
    assert not QuietHours(dt.time(8), dt.time(8)).contains(dt.time(3))


def test_live_news_goes_stale_and_the_rest_keeps() -> None:
    assert expires_at(Kind.TURN_NEAR, T0) == T0 + dt.timedelta(minutes=10)
    assert expires_at(Kind.COMPLAINT_DECIDED, T0) is None
    assert all(RULES[k].live for k in (Kind.TURN_NEAR, Kind.CALLED, Kind.VERIFICATION_CODE))


def test_the_rate_limit_per_number() -> None:
    limit = RateLimit(per_hour=3, per_day=5)
    minute = dt.timedelta(minutes=1)
    hour_full = [(T0 - i * minute, Kind.CALLED) for i in range(1, 4)]
    assert not rate_decision(Kind.TURN_NEAR, hour_full, T0, limit).allowed
    spread = [(T0 - dt.timedelta(hours=2 + i), Kind.CALLED) for i in range(5)]
    assert "in a day" in rate_decision(Kind.TURN_NEAR, spread, T0, limit).reason
    assert rate_decision(Kind.TURN_NEAR, spread[:4], T0, limit).allowed
    code = [(T0 - dt.timedelta(seconds=20), Kind.VERIFICATION_CODE)]
    again = rate_decision(Kind.VERIFICATION_CODE, code, T0, limit)
    assert not again.allowed and again.retry_after_s == 41
    assert rate_decision(Kind.VERIFICATION_CODE, code, T0 + dt.timedelta(seconds=41), limit).allowed
