"""The scorecard's rules: weights, not applicable, critical failures, photo evidence, re-checks;
and the checklist editor's checks."""

from __future__ import annotations

import pytest

from manyi.errors import InvalidInput
from manyi.supervision.domain.scorecard import (
    Answer,
    Outcome,
    check_complete,
    outcome_of,
    recheck_passed,
    score,
)
from manyi.supervision.domain.standards import DEFAULT_ITEMS, GROUPS, Item, check_items

P, F, NA = Outcome.PASSED, Outcome.FAILED, Outcome.NOT_APPLICABLE
ITEMS = (
    Item("A1", "appearance", "着装", "", 4, photo_required=False, critical=False),
    Item("A2", "appearance", "挂牌", "", 6, photo_required=False, critical=True),
    Item("E3", "environment", "座椅", "", 3, photo_required=True, critical=False),
)


def test_the_score_is_passed_weight_over_applicable_weight() -> None:
    result = score(ITEMS, {"A1": Answer(P), "A2": Answer(F), "E3": Answer(NA)})
    assert result.value == 40.0  # 4 / (4 + 6)
    assert (result.passed_weight, result.applicable_weight) == (4, 10)
    assert result.failed == ("A2",)
    assert result.critical_failures == ("A2",) and result.critical_failed


def test_a_partial_card_scores_what_is_answered() -> None:
    result = score(ITEMS, {"A1": Answer(P), "E3": Answer(None, photos=1)})
    assert result.value == 100.0 and result.answered == 1 and not result.complete
    assert score(ITEMS, {}).value is None


def test_submitting_needs_every_item_answered() -> None:
    with pytest.raises(InvalidInput, match="A2, E3 not answered"):
        check_complete(ITEMS, {"A1": Answer(P)})


def test_a_failed_photo_item_needs_a_photo() -> None:
    answers = {"A1": Answer(P), "A2": Answer(P), "E3": Answer(F)}
    with pytest.raises(InvalidInput, match="E3 failed"):
        check_complete(ITEMS, answers)
    answers["E3"] = Answer(F, photos=1)
    assert check_complete(ITEMS, answers).value == round(100 * 10 / 13, 1)


def test_unknown_items_and_outcomes_are_refused() -> None:
    with pytest.raises(InvalidInput, match="no item Z9"):
        check_complete(ITEMS, {"Z9": Answer(P)})
    with pytest.raises(InvalidInput, match="passed, failed or na"):
        outcome_of("maybe", "A1")


def test_all_not_applicable_has_nothing_to_score() -> None:
    with pytest.raises(InvalidInput, match="nothing to score"):
        check_complete(ITEMS, {c.code: Answer(NA) for c in ITEMS})


def test_a_recheck_passes_on_its_item_or_on_the_whole_visit() -> None:
    answers = {"A1": Answer(P), "A2": Answer(F), "E3": Answer(P, photos=0)}
    result = score(ITEMS, answers)
    assert recheck_passed("A1", answers, result)
    assert not recheck_passed("A2", answers, result)
    assert not recheck_passed(None, answers, result)  # a critical failure


def test_the_default_checklist_is_valid_and_covers_every_group() -> None:
    checked = check_items([i.to_json() for i in DEFAULT_ITEMS])
    assert checked == DEFAULT_ITEMS
    assert {i.group for i in DEFAULT_ITEMS} == set(GROUPS)
    assert 15 <= len(DEFAULT_ITEMS) <= 20
    assert any(i.critical for i in DEFAULT_ITEMS) and any(i.photo_required for i in DEFAULT_ITEMS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "a 1"}, "letters then digits"),
        ({"group": "lobby"}, "group must be one of"),
        ({"weight": "0"}, "weight is a whole number"),
        ({"text_zh": " "}, "Chinese text"),
    ],
)
def test_an_edited_item_is_checked(change: dict[str, str], message: str) -> None:
    item = DEFAULT_ITEMS[0].to_json() | change
    with pytest.raises(InvalidInput, match=message):
        check_items([item])


def test_a_code_used_twice_is_refused() -> None:
    item = DEFAULT_ITEMS[0].to_json()
    with pytest.raises(InvalidInput, match="appears twice"):
        check_items([item, item])
