"""The complaint classifier against a plain baseline, on the same folds of a real export.

Goal (issue 19): macro-F1 at least 10 % above the baseline's (relative) and accuracy not below
it. The baseline is TF-IDF of word 1–2 grams (scikit-learn's defaults otherwise) and a
LinearSVC with default settings; manyi's method is `manyi.insight.domain.classifier`. Both see
the very same stratified folds (shuffled, seed 0) of the complaints `manyi complaints
classifier evaluate` keeps (a narrative; labels with at least 20 of them), in one run.

    PYTHONPATH=src .venv/bin/python bench/classifier.py [--target issue|product] [--folds 5]

Prints figures only; per-label F1 with --per-label.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from manyi.insight.domain.classifier import METHOD, Prediction, TextClassifier
from manyi.insight.domain.evaluation import Evaluation, cross_validate, folds, usable
from manyi.insight.export_texts import read_labelled

# The team's shared data folder sits beside the repository.
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared/data/cfpb_payday_loan_complaints.csv"


def baseline_predictions(
    train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
) -> list[str]:
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LinearSVC())
    model.fit(train_texts, train_labels)
    return [str(label) for label in model.predict(test_texts)]


class Recorded:
    """manyi's method as a predict function that keeps each prediction, for the per-label
    figures and the confidence table."""

    def __init__(self) -> None:
        self.predictions: list[Prediction] = []

    def __call__(
        self, train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]
    ) -> list[str]:
        out = TextClassifier.fit(train_texts, train_labels, seed=0).predict(test_texts)
        self.predictions += out
        return [p.label for p in out]


def confidence_table(predictions: list[Prediction], truth: list[str]) -> None:
    print("confidence   predictions   mean confidence   right")
    bins = ((0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01))
    for low, high in bins:
        inside = [
            (p, t) for p, t in zip(predictions, truth, strict=True) if low <= p.confidence < high
        ]
        if not inside:
            continue
        mean = sum(p.confidence for p, _ in inside) / len(inside)
        right = sum(p.label == t for p, t in inside) / len(inside)
        shown = f"{low:.1f}-{min(high, 1.0):.1f}"
        print(f"{shown:12s} {len(inside):11d}   {mean:15.3f}   {right:5.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--target", choices=("issue", "product"), default="issue")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--per-label", action="store_true", help="print F1 per label")
    args = parser.parse_args()

    read = read_labelled(args.file.read_bytes(), "cfpb", args.target)
    kept = usable(read.texts, read.labels)
    splits = folds(kept.labels, args.folds, seed=0)
    truth = [kept.labels[i] for _, test in splits for i in test]  # in prediction order
    print(f"file      {args.file.resolve()} ({read.rows} rows)")
    print(f"target    {args.target}: {len(kept.labels)} complaints, {len(set(kept.labels))} labels")
    print(f"left out  {len(kept.dropped_labels)} labels with fewer than 20 narratives")
    print(f"machine   {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"folds     {args.folds}, stratified, shuffled, seed 0 (the same for both)")
    print()

    ours = Recorded()
    results: list[Evaluation] = []
    for name, predict in (
        ("baseline (tf-idf word 1-2 + LinearSVC)", baseline_predictions),
        (f"manyi ({METHOD})", ours),
    ):
        started = time.perf_counter()
        result = cross_validate(kept.texts, kept.labels, splits=splits, predict=predict)
        seconds = time.perf_counter() - started
        results.append(result)
        print(
            f"{name:42s} accuracy {result.accuracy:.4f}  macro-F1 {result.macro_f1:.4f}"
            f"  ({seconds:.0f} s)"
        )
    base, mine = results
    print()
    print(f"macro-F1 ratio  {mine.macro_f1 / base.macro_f1:.3f}  (goal: at least 1.10)")
    print(f"accuracy ratio  {mine.accuracy / base.accuracy:.3f}  (goal: at least 1.00)")
    print()
    confidence_table(ours.predictions, truth)
    if args.per_label:
        labels = [p.label for p in ours.predictions]
        print(classification_report(truth, labels, digits=3, zero_division=0))


if __name__ == "__main__":
    main()
