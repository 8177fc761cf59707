"""Complaint deadline policies as data: the presets follow the regulations and survive a JSON
round trip; a custom policy gets the defaults; a bad one is refused with a reason."""

from __future__ import annotations

import json

import pytest

from manyi.complaints.domain.policies import PRESETS, DayCount, policy_from_dict, policy_to_dict
from tests.complaint_deadline_helpers import CBIRC, CBIRC_WORKDAYS

# --- policies as data -------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(PRESETS))
def test_presets_survive_a_json_round_trip(code: str) -> None:
    policy = PRESETS[code]
    assert policy.code == code and policy.name_zh and policy.name_en
    stored = json.loads(json.dumps(policy_to_dict(policy), ensure_ascii=False))
    assert policy_from_dict(stored) == policy


def test_presets_follow_the_regulations() -> None:
    assert CBIRC.limits == (15, 30, 60) and CBIRC.day_count is DayCount.CALENDAR
    assert [rule.needs_higher_approval for rule in CBIRC.extensions] == [False, True]
    assert all(rule.needs_complainant_informed for rule in CBIRC.extensions)
    assert CBIRC_WORKDAYS.day_count is DayCount.WORKING and CBIRC_WORKDAYS.calendar == "cn"
    assert PRESETS["cfpb"].limits == (15, 60)
    assert PRESETS["fca-disp"].limits == (56,) and PRESETS["fca-disp"].extensions == ()
    assert PRESETS["fca-psd"].limits == (15, 35)
    assert PRESETS["fca-psd"].day_count is DayCount.WORKING
    assert PRESETS["fca-psd"].calendar == "weekdays"


def test_a_minimal_custom_policy_gets_the_defaults() -> None:
    policy = policy_from_dict(
        {"code": "bank-7", "name_zh": "本行七日", "day_count": "working", "limits": [7]}
    )
    assert policy.calendar == "cn" and policy.name_en == ""
    assert policy.extensions == () and policy.at_risk == (0.5, 0.8)


GOOD = policy_to_dict(CBIRC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"limits": [15, 15, 60]}, "limits must increase"),
        ({"limits": [30, 15, 60]}, "limits must increase"),
        ({"limits": [0, 30, 60]}, "positive whole numbers"),
        ({"limits": [15, 30.5, 60]}, "whole numbers of days"),
        ({"limits": [15, True, 60]}, "whole numbers of days"),
        ({"limits": []}, "at least one period"),
        ({"limits": "15"}, "limits must be a list"),
        ({"limits": [15, 30]}, "2 stages needs 1 extension rules, got 2"),
        ({"at_risk": [0.8, 0.5]}, "at_risk fractions must increase"),
        ({"at_risk": [0.5, 0.5]}, "at_risk fractions must increase"),
        ({"at_risk": [0.5, 1.0]}, "strictly between 0 and 1"),
        ({"at_risk": [0, 0.5]}, "strictly between 0 and 1"),
        ({"at_risk": ["half"]}, "at_risk must hold numbers"),
        ({"calendar": "uk"}, "unknown calendar 'uk'"),
        ({"day_count": "lunar"}, "day_count must be one of calendar, working"),
        ({"code": "  "}, "code must not be empty"),
        ({"code": 7}, "code must be a string"),
        ({"colour": "red"}, "unknown keys: colour"),
        ({"extensions": [{"needs_reason": True}]}, "extension rule is missing"),
        ({"extensions": ["yes", "no"]}, "must be an object"),
        (
            {
                "extensions": [
                    {
                        "needs_reason": "yes",
                        "needs_complainant_informed": True,
                        "needs_higher_approval": False,
                    },
                    GOOD["extensions"][1],
                ]
            },
            "needs_reason must be true or false",
        ),
    ],
)
def test_bad_policies_are_refused_with_a_reason(change: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        policy_from_dict({**GOOD, **change})


def test_missing_keys_are_named() -> None:
    with pytest.raises(ValueError, match="policy is missing day_count, limits"):
        policy_from_dict({"code": "x", "name_zh": "x"})
