"""How well a classification method does on labelled complaints: stratified k-fold figures.

The contract of `manyi complaints classifier evaluate`: only complaints with a text count, only
labels with at least `MIN_PER_LABEL` such complaints are kept (fewer cannot be learnt, nor
measured, fairly), and the rest is split into `folds` stratified folds, shuffled with the
seed (0 by default), so the same file always gives the same figures. Each fold is predicted
by a model fitted on the others; accuracy and macro-F1 (the unweighted mean of the labels'
F1, where a rare label counts as much as a common one) are over all the held-out
predictions together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# scikit-learn (and the classifier, which is built on it) are imported where they are used:
# the command-line tool imports this module for its constants and checks, and every command
# (`manyi serve` among them) would otherwise pay over a second of CPU at its start.

MIN_PER_LABEL = 20
DEFAULT_FOLDS = 5


class EvaluationError(ValueError):
    """The data or the settings do not allow an evaluation (the message says why)."""


@dataclass(frozen=True)
class Evaluation:
    n: int  # complaints evaluated
    classes: int  # labels kept
    accuracy: float
    macro_f1: float

    def as_dict(self) -> dict[str, int | float]:
        return {
            "n": self.n,
            "classes": self.classes,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
        }


@dataclass(frozen=True)
class Usable:
    texts: list[str]
    labels: list[str]
    dropped_labels: dict[str, int]  # label → its complaints, for labels under the minimum


def usable(
    texts: Sequence[str], labels: Sequence[str], *, min_per_label: int = MIN_PER_LABEL
) -> Usable:
    """The complaints an evaluation uses: a text (not blank) and a label with enough of them."""
    pairs = [(t, x) for t, x in zip(texts, labels, strict=True) if t.strip() and x.strip()]
    counts = Counter(label for _, label in pairs)
    kept = {label for label, n in counts.items() if n >= min_per_label}
    return Usable(
        texts=[t for t, x in pairs if x in kept],
        labels=[x for _, x in pairs if x in kept],
        dropped_labels={x: n for x, n in sorted(counts.items()) if x not in kept},
    )


def folds(
    labels: Sequence[str], k: int = DEFAULT_FOLDS, *, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays of stratified, shuffled folds."""
    _check(labels, k)
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    y = np.asarray(labels)
    return [(train, test) for train, test in splitter.split(np.zeros(len(y)), y)]


Predict = Callable[[Sequence[str], Sequence[str], Sequence[str]], Sequence[str]]


def classifier_predictions(
    train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
) -> list[str]:
    """manyi's method (`TextClassifier`) as an evaluation's predict function."""
    from manyi.insight.domain.classifier import TextClassifier

    model = TextClassifier.fit(train_texts, train_labels, seed=0)
    return [p.label for p in model.predict(test_texts)]


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    k: int = DEFAULT_FOLDS,
    seed: int = 0,
    predict: Predict = classifier_predictions,
    splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> Evaluation:
    """Figures of `predict` (fit on the train part, label the test part) over k folds.

    `texts`/`labels` are what `usable` kept; `splits` lets a bench give two methods the very
    same folds."""
    splits = folds(labels, k, seed=seed) if splits is None else splits
    predicted: list[str] = [""] * len(labels)
    for train, test in splits:
        out = predict(
            [texts[i] for i in train], [labels[i] for i in train], [texts[i] for i in test]
        )
        for i, label in zip(test, out, strict=True):
            predicted[i] = label
    truth = list(labels)
    from sklearn.metrics import accuracy_score, f1_score

    return Evaluation(
        n=len(truth),
        classes=len(set(truth)),
        accuracy=round(float(accuracy_score(truth, predicted)), 4),
        macro_f1=round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
    )


def _check(labels: Sequence[str], k: int) -> None:
    if k < 2:
        raise EvaluationError(f"--folds must be at least 2, not {k}")
    counts = Counter(labels)
    if len(counts) < 2:
        raise EvaluationError(
            f"{len(counts)} label(s) left with at least {MIN_PER_LABEL} complaints with a "
            "narrative; an evaluation needs at least 2"
        )
    smallest = min(counts.values())
    if smallest < k:
        raise EvaluationError(
            f"--folds {k} is more than the smallest label's {smallest} complaints"
        )
