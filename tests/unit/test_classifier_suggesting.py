"""The rules around the trained classifier (insight.domain.suggesting): provenance, what a
suggestion becomes when staff act, the taxonomy check, the training set, auto-apply."""

from __future__ import annotations

import pytest

from manyi.insight.domain.suggesting import (
    Outcome,
    TrainingRefused,
    auto_applies,
    case_text,
    check_threshold,
    confirmed,
    folds_for,
    outcome_after_staff,
    taxonomy_mismatch,
    training_set,
)


def test_a_value_is_a_training_label_only_when_staff_stand_behind_it() -> None:
    assert confirmed("savings", machine_made=False)
    assert not confirmed("savings", machine_made=True)  # a model's unconfirmed output
    assert not confirmed(None, machine_made=False)
    assert not confirmed("  ", machine_made=False)


@pytest.mark.parametrize(
    ("before", "chosen", "after"),
    [
        (Outcome.PENDING, "savings", Outcome.ACCEPTED),
        (Outcome.PENDING, "cards", Outcome.CORRECTED),
        (Outcome.PENDING, None, None),  # left empty: nobody decided
        (Outcome.AUTO_APPLIED, "savings", Outcome.ACCEPTED),  # confirmed
        (Outcome.AUTO_APPLIED, "cards", Outcome.CORRECTED),
        (Outcome.AUTO_APPLIED, None, Outcome.CORRECTED),  # staff cleared the model's value
        (Outcome.ACCEPTED, "cards", None),  # decided once: history is not rewritten
        (Outcome.CORRECTED, "savings", None),
    ],
)
def test_what_a_suggestion_becomes_when_staff_set_the_target(
    before: Outcome, chosen: str | None, after: Outcome | None
) -> None:
    assert outcome_after_staff(before, "savings", chosen) is after


def test_a_model_with_a_retired_label_does_not_match_the_taxonomy() -> None:
    assert (
        taxonomy_mismatch("business", ["savings", "cards"], ["savings", "cards", "loans"]) is None
    )
    found = taxonomy_mismatch("cause", ["pricing", "old.code", "a"], ["pricing"])
    assert found is not None and found.retired == ("a", "old.code")
    assert found.message() == (
        "model for cause: labels no longer match the taxonomy: a, old.code retired"
    )
    # The product is free text: no taxonomy to leave.
    assert taxonomy_mismatch("product", ["借记卡"], []) is None
    assert taxonomy_mismatch("issue", ["fees"], ["waiting_time"]) is not None


def test_the_training_set_leaves_out_rare_labels_and_blank_texts() -> None:
    cases = [("排队", "a")] * 3 + [("吞卡", "b")] * 3 + [("利率", "c")] + [("   ", "a"), ("x", " ")]
    data = training_set("business", cases, min_per_class=3)
    assert data.label_counts == {"a": 3, "b": 3} and data.left_out == {"c": 1}
    assert len(data.texts) == len(data.labels) == 6


def test_a_retired_category_is_not_learnt_again() -> None:
    cases = [("排队", "a")] * 3 + [("吞卡", "b")] * 3 + [("利率", "old")] * 3
    data = training_set("cause", cases, min_per_class=3, allowed={"a", "b"})
    assert data.label_counts == {"a": 3, "b": 3} and data.left_out == {"old": 3}
    # The product has no taxonomy: every label is allowed.
    data = training_set("product", cases, min_per_class=3, allowed=set())
    assert data.left_out == {}


def test_training_is_refused_with_fewer_than_two_usable_classes() -> None:
    with pytest.raises(TrainingRefused, match="a model needs at least 2 such classes"):
        training_set("cause", [("排队", "a")] * 5 + [("吞卡", "b")], min_per_class=2)
    with pytest.raises(TrainingRefused, match="at least 2"):
        training_set("cause", [], min_per_class=1)


def test_folds_shrink_to_the_smallest_class() -> None:
    assert folds_for({"a": 40, "b": 12}) == 5
    assert folds_for({"a": 40, "b": 3}) == 3
    assert folds_for({"a": 40, "b": 1}) == 0
    assert folds_for({}) == 0


def test_auto_apply_needs_the_setting_and_the_confidence() -> None:
    assert auto_applies(True, 0.9, 0.9)
    assert not auto_applies(True, 0.9, 0.89)
    assert not auto_applies(False, 0.5, 0.99)
    assert check_threshold(0.75) == 0.75
    for bad in (0.2, 1.5):
        with pytest.raises(ValueError):
            check_threshold(bad)


def test_the_text_a_model_reads() -> None:
    assert case_text(" 吞卡 ", "ATM 吞卡了", "") == "吞卡\nATM 吞卡了"
    assert case_text("", "", "") == ""
