"""Service stars' pure rules: the programme as data, the score and its explanation, eligibility,
the quota and the order of the approval steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from manyi.errors import InvalidInput
from manyi.supervision.domain import star_definitions as definitions
from manyi.supervision.domain import stars as rules
from manyi.supervision.domain.stars import Criterion, Facts, NominationState, PeriodKind

TODAY = dt.date(2026, 11, 30)


def definition(**changes: Any) -> dict[str, Any]:
    data = definitions.default_definition(TODAY)
    data.update(changes)
    return data


def test_the_default_programme_is_the_quarter_of_today() -> None:
    programme = definitions.parse_programme(definition())
    assert (programme.code, programme.starts_on, programme.ends_on) == (
        "2026Q4",
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert [lv.stars for lv in programme.levels] == [5, 4, 3]  # highest first
    # A star won in 2026Q4 is worn until the end of 2027Q1.
    assert programme.valid_until == dt.date(2027, 3, 31)


def test_periods() -> None:
    assert rules.period_bounds(PeriodKind.QUARTER, dt.date(2026, 2, 28)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    assert rules.period_bounds(PeriodKind.YEAR, TODAY) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert rules.period_code(PeriodKind.QUARTER, dt.date(2026, 7, 1)) == "2026Q3"


def test_the_worked_example_of_the_docstring() -> None:
    programme = definitions.parse_programme(
        definition(
            criteria=[
                {"criterion": "pad", "weight": 40},
                {"criterion": "volume", "weight": 30, "target": 800},
                {"criterion": "complaints", "weight": 30, "target": 4},
            ]
        )
    )
    facts = Facts(served=600, pad_n=100, pad_top2=90, complaints=1)
    result = rules.assess(programme, facts)
    assert result.total == 81.0
    assert result.level is not None and result.level.code == "star4"
    pad, volume, complaints = result.lines
    assert (pad.raw, pad.score, pad.weight, pad.contribution) == ("90% / 100", 90.0, 40.0, 36.0)
    assert (volume.raw, volume.score, volume.contribution) == ("600", 75.0, 22.5)
    assert (complaints.raw, complaints.score) == ("1", 75.0)
    assert result.eligible and result.explanation()["lines"][0]["criterion"] == "pad"


def test_missing_data_is_not_a_zero_it_is_not_counted_for_that_teller() -> None:
    programme = definitions.parse_programme(
        definition(
            criteria=[
                {"criterion": "pad", "weight": 40},
                {"criterion": "csat", "weight": 20},
                {"criterion": "inspection", "weight": 20},
                {"criterion": "volume", "weight": 20, "target": 100},
            ]
        )
    )
    # No survey answers and no inspection of the outlet: pad 90 and volume 50 share the weight.
    sparse = rules.assess(programme, Facts(served=50, pad_n=10, pad_top2=9))
    pad, csat, inspection, volume = sparse.lines
    assert not csat.has_data and not inspection.has_data
    assert (csat.weight, csat.contribution, inspection.weight) == (0.0, 0.0, 0.0)
    assert pad.weight == pytest.approx(200 / 3) and volume.weight == pytest.approx(100 / 3)
    assert sparse.total == pytest.approx(76.7)  # (40·90 + 20·50) / 60, not / 100
    assert sparse.explanation()["lines"][1] == {
        "criterion": "csat",
        "raw": "—",
        "has_data": False,
        "score": 0.0,
        "weight": 0.0,
        "contribution": 0.0,
    }
    # Another teller of the same outlet with survey answers counts all four.
    full = rules.assess(
        programme,
        Facts(served=50, pad_n=10, pad_top2=9, survey_n=4, survey_top2=4, inspection=80.0),
    )
    assert [line.weight for line in full.lines] == [40.0, 20.0, 20.0, 20.0]
    assert full.total == pytest.approx((40 * 90 + 20 * 100 + 20 * 80 + 20 * 50) / 100)
    # Nothing with data at all: a total of 0, every line listed as not counted.
    nothing = definitions.parse_programme(definition(criteria=[{"criterion": "pad", "weight": 1}]))
    empty = rules.assess(nothing, Facts())
    assert empty.total == 0.0 and not empty.lines[0].has_data


def test_scores_are_capped_between_0_and_100() -> None:
    programme = definitions.parse_programme(definition())
    facts = Facts(served=10_000, complaints=50, praise=99, inspection=120.0)
    lines = {line.criterion: line.score for line in rules.assess(programme, facts).lines}
    assert lines[Criterion.VOLUME] == 100.0
    assert lines[Criterion.PRAISE] == 100.0
    assert lines[Criterion.COMPLAINTS] == 0.0
    assert lines[Criterion.INSPECTION] == 100.0
    assert lines[Criterion.PAD] == 0.0  # no answers: no data, not counted


def test_eligibility_reasons() -> None:
    programme = definitions.parse_programme(definition())
    result = rules.assess(
        programme, Facts(served=10, complaints=3, severe_misconduct=1, roles=("lobby_manager",))
    )
    assert not result.eligible
    assert result.reasons == (
        "not_role:teller",
        "served_below:150",
        "complaints_above:2",
        "severe_misconduct",
    )


def test_ranking_puts_eligible_candidates_first() -> None:
    programme = definitions.parse_programme(definition())
    strong_but_new = rules.assess(programme, Facts(served=100, pad_n=50, pad_top2=50))
    eligible = rules.assess(programme, Facts(served=300, pad_n=50, pad_top2=40))
    assert [i for i, _ in rules.ranked([(1, strong_but_new), (2, eligible)])] == [2, 1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": "month"}, "period"),
        ({"starts_on": "2026-11-01"}, "starts_on"),
        ({"criteria": [{"criterion": "smiles", "weight": 1}]}, "criteria"),
        ({"criteria": [{"criterion": "volume", "weight": 1}]}, "volume"),
        ({"criteria": [{"criterion": "pad", "weight": 0}]}, "criteria"),
        (
            {"levels": [{"code": "x", "name_zh": "x", "name_en": "x", "stars": 6, "min_score": 1}]},
            "levels",
        ),
        ({"quotas": {"BJ": -1}}, "quotas"),
        ({"default_quota": "three"}, "default_quota"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_fault(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        definitions.parse_programme(definition(**change))
    assert field in (refused.value.field, refused.value.params.get("where"))


def test_quota_and_step_order() -> None:
    programme = definitions.parse_programme(definition(default_quota=2, quotas={"BR-A": 1}))
    rules.check_quota(programme, "BR-B", 1)
    with pytest.raises(InvalidInput, match="quota of 1 stars for branch BR-A"):
        rules.check_quota(programme, "BR-A", 1)
    rules.check_step(NominationState.NOMINATED, "branch")
    rules.check_step(NominationState.BRANCH_APPROVED, "head office")
    with pytest.raises(InvalidInput) as early:
        rules.check_step(NominationState.NOMINATED, "head office")  # HO before the branch
    assert early.value.error_code == "wrong_step"
    with pytest.raises(InvalidInput):
        rules.check_step(NominationState.AWARDED, "branch")
