"""The classifier's evaluation: which complaints count, the folds, the figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from manyi.insight.domain.evaluation import (
    MIN_PER_LABEL,
    EvaluationError,
    cross_validate,
    folds,
    usable,
)
from manyi.insight.export_texts import ExportError, read_labelled


def test_usable_keeps_texts_and_labels_with_enough_complaints() -> None:
    texts = ["a"] * 20 + ["b"] * 19 + [""] * 5 + ["  "] * 3 + ["c"] * 20 + ["d"]
    labels = ["A"] * 20 + ["B"] * 19 + ["B"] * 5 + ["C"] * 3 + ["C"] * 20 + [""]
    kept = usable(texts, labels)
    # B has 24 complaints but only 19 with a text; C has 20 with a text (3 blank ones drop).
    assert sorted(set(kept.labels)) == ["A", "C"]
    assert len(kept.texts) == len(kept.labels) == 40
    assert all(t.strip() for t in kept.texts)
    assert kept.dropped_labels == {"B": 19}
    assert MIN_PER_LABEL == 20


def test_folds_are_stratified_shuffled_and_the_same_for_seed_0() -> None:
    labels = ["A"] * 30 + ["B"] * 20
    first, again = folds(labels, 5), folds(labels, 5, seed=0)
    assert len(first) == 5
    for (train, test), (train2, test2) in zip(first, again, strict=True):
        assert np.array_equal(train, train2) and np.array_equal(test, test2)
        assert sorted([*train, *test]) == list(range(50))
        assert [labels[i] for i in test].count("A") == 6  # stratified: 30 / 5
    assert not np.array_equal(first[0][1], np.arange(10))  # shuffled
    assert any(
        not np.array_equal(a[1], b[1]) for a, b in zip(first, folds(labels, 5, seed=1), strict=True)
    )


def test_cross_validate_figures_from_held_out_predictions() -> None:
    texts = [f"{'alpha' if i < 30 else 'beta'} {i}" for i in range(50)]
    labels = ["A"] * 30 + ["B"] * 20
    seen_train: list[int] = []

    def always_a(
        train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
    ) -> list[str]:
        assert not set(train_texts) & set(test_texts)  # never trained on the test fold
        seen_train.append(len(train_texts))
        return ["A"] * len(test_texts)

    result = cross_validate(texts, labels, k=5, predict=always_a)
    assert seen_train == [40] * 5
    assert (result.n, result.classes, result.accuracy) == (50, 2, 0.6)
    # F1 of A: precision 0.6, recall 1 → 0.75; of B: 0 → macro 0.375.
    assert result.macro_f1 == 0.375
    assert result.as_dict() == {"n": 50, "classes": 2, "accuracy": 0.6, "macro_f1": 0.375}


def test_cross_validate_refuses_what_cannot_be_measured() -> None:
    with pytest.raises(EvaluationError, match="at least 2"):
        cross_validate(["a"] * 25, ["A"] * 25)
    with pytest.raises(EvaluationError, match="--folds must be at least 2"):
        cross_validate(["a"] * 40, ["A"] * 20 + ["B"] * 20, k=1)
    with pytest.raises(EvaluationError, match="smallest label's 20"):
        cross_validate(["a"] * 50, ["A"] * 30 + ["B"] * 20, k=21)


HEADER = "Date received,Product,Sub-product,Issue,Consumer complaint narrative,Complaint ID\n"


def test_reading_a_cfpb_export_takes_rows_whatever_their_dates() -> None:
    body = (
        HEADER
        + '2019/4/4,Payday loan,Title loan,Getting the loan,"I was told ""yes""\nthen no",1\n'
        + "not a date,Payday loan,None,Problem when making payments,None,2\n"
        + "03/22/23,Payday loan,,,the fee,3\n"
        + "03/22/23,too,few,fields\n"
    ).encode()
    issue = read_labelled(body, "cfpb", "issue")
    assert issue.texts == ['I was told "yes"\nthen no', "", "the fee"]
    assert issue.labels == ["Getting the loan", "Problem when making payments", ""]
    assert (issue.rows, issue.skipped) == (4, 1)
    product = read_labelled(body, "cfpb", "product")
    assert product.labels == ["Payday loan / Title loan", "Payday loan", "Payday loan"]


def test_reading_refuses_unknown_settings_and_foreign_files() -> None:
    with pytest.raises(ExportError, match="--format must be cfpb"):
        read_labelled(b"", "csv", "issue")
    with pytest.raises(ExportError, match="--target must be product or issue"):
        read_labelled(HEADER.encode(), "cfpb", "cause")
    with pytest.raises(ExportError, match="the file is empty"):
        read_labelled(b"\n\n", "cfpb", "issue")
    with pytest.raises(ExportError, match=r"missing column.*'Issue'"):
        read_labelled(b"Product,Consumer complaint narrative\n", "cfpb", "issue")
