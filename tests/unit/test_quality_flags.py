"""The anti-gaming flags (quality.domain.flags): bursts, busy clients, pad against surveys."""

from __future__ import annotations

import datetime as dt

from manyi.quality.domain import flags as f

DAY = dt.date(2026, 11, 30)


def test_a_burst_of_fast_top_scores_is_flagged_once_per_teller_and_day() -> None:
    fast = [f.PadAnswer("teller.a", DAY, True, 1.0) for _ in range(3)]
    slow = [f.PadAnswer("teller.b", DAY, True, 8.0) for _ in range(5)]
    low = [f.PadAnswer("teller.c", DAY, False, 1.0) for _ in range(5)]
    two = [f.PadAnswer("teller.d", DAY, True, 1.0) for _ in range(2)]
    found = f.fast_top_bursts(fast + slow + low + two)
    assert [(x.kind, x.subject, x.day, x.count) for x in found] == [
        ("fast_top_burst", "teller.a", DAY, 3)
    ]


def test_one_client_answering_many_surveys_a_day() -> None:
    answered = [("a" * 64, DAY)] * 3 + [("b" * 64, DAY)] * 2 + [("a" * 64, DAY.replace(day=29))]
    found = f.busy_clients(answered)
    assert [(x.subject, x.day, x.count) for x in found] == [("a" * 12, DAY, 3)]


def test_pad_against_surveys_needs_a_real_and_large_gap() -> None:
    found = f.pad_vs_survey(
        {
            "sharp": ((48, 50), (20, 50)),  # 96 % on the pad, 40 % in surveys
            "noise": ((4, 5), (2, 5)),  # the same shares on five answers: not significant
            "close": ((45, 50), (40, 50)),  # significant maybe, but a gap under 20 points
        }
    )
    assert [(x.subject, round(x.detail["difference"], 2)) for x in found] == [("sharp", 0.56)]
