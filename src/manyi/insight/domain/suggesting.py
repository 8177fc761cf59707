"""The rules around a trained classifier: what it is trained from, when a stored model may still
be used, what becomes of a suggestion, and when one is applied without a click.

Provenance. A complaint's value on a target is *confirmed* (a training label) when staff chose
it: on the registration or classify form, by accepting a suggestion, or by import from the
bank's own records. A value a model applied (auto-apply) is *machine-made* until staff accept
it or submit the classify form; a model never learns from its own unconfirmed output.

The taxonomy check. A model predicts only the labels it was trained on; when one of them is no
longer an active code of its axis (or an active prominent-issue category), the model could
suggest a retired value, so it is refused until it is trained again. The product is free text:
any label is allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

TARGETS = ("business", "cause", "appeal", "product", "issue")
TAXONOMY_TARGETS = frozenset({"business", "cause", "appeal", "issue"})

DEFAULT_MIN_PER_CLASS = 10
MIN_CLASSES = 2
DEFAULT_FOLDS = 5
DEFAULT_THRESHOLD = 0.9


class Outcome(enum.StrEnum):
    PENDING = "pending"  # shown, staff have not acted
    ACCEPTED = "accepted"  # staff took the suggested value
    CORRECTED = "corrected"  # staff chose another value
    AUTO_APPLIED = "auto_applied"  # the model applied it; machine-made until staff confirm


OPEN_OUTCOMES = frozenset({Outcome.PENDING, Outcome.AUTO_APPLIED})


class TrainingRefused(ValueError):
    """Too few confirmed cases or classes to train (the message says how many and why)."""


def confirmed(value: str | None, machine_made: bool) -> bool:
    """Whether a case's value on a target is a training label."""
    return bool(value and value.strip()) and not machine_made


def outcome_after_staff(outcome: Outcome, suggested: str, chosen: str | None) -> Outcome | None:
    """What an open suggestion becomes when staff set the target to `chosen` (None: they left
    it empty): accepted when they kept the suggested value, corrected otherwise. A pending
    suggestion left empty stays pending (nobody decided); a machine-made value cleared by staff
    is corrected. None: no change (a suggestion already decided)."""
    if outcome not in OPEN_OUTCOMES:
        return None
    if chosen is None:
        return Outcome.CORRECTED if outcome is Outcome.AUTO_APPLIED else None
    return Outcome.ACCEPTED if chosen == suggested else Outcome.CORRECTED


@dataclass(frozen=True)
class TaxonomyMismatch:
    target: str
    retired: tuple[str, ...]  # labels that are no longer active codes

    def message(self) -> str:
        return (
            f"model for {self.target}: labels no longer match the taxonomy: "
            f"{', '.join(self.retired)} retired"
        )


def taxonomy_mismatch(
    target: str, labels: Iterable[str], active_codes: Iterable[str]
) -> TaxonomyMismatch | None:
    """None when every label of a model is an active code of its target (or the target has no
    taxonomy: the product); otherwise the labels that are not."""
    if target not in TAXONOMY_TARGETS:
        return None
    active = set(active_codes)
    retired = tuple(sorted(label for label in labels if label not in active))
    return TaxonomyMismatch(target, retired) if retired else None


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    labels: list[str]
    label_counts: dict[str, int]  # kept labels → cases
    left_out: dict[str, int]  # labels under the minimum or retired → cases


def training_set(
    target: str,
    cases: Iterable[tuple[str, str]],
    *,
    min_per_class: int,
    allowed: Collection[str] | None = None,
) -> TrainingSet:
    """The (text, label) pairs a model of `target` learns from: texts that are not blank,
    labels with at least `min_per_class` cases and, when `allowed` is given (the active codes
    of a target with a taxonomy), only those labels: a retired category's old cases are left
    out, or the new model would be refused at once. TrainingRefused when fewer than two
    labels are left."""
    if min_per_class < 2:
        raise TrainingRefused(f"--min-per-class must be at least 2, not {min_per_class}")
    pairs = [(t.strip(), x.strip()) for t, x in cases if t.strip() and x.strip()]
    counts: dict[str, int] = {}
    for _, label in pairs:
        counts[label] = counts.get(label, 0) + 1
    kept = {
        x
        for x, n in counts.items()
        if n >= min_per_class
        and (allowed is None or target not in TAXONOMY_TARGETS or x in allowed)
    }
    if len(kept) < MIN_CLASSES:
        raise TrainingRefused(
            f"{target}: {len(pairs)} confirmed cases with a text in {len(counts)} classes, "
            f"{len(kept)} of them with at least {min_per_class} cases; a model needs at least "
            f"{MIN_CLASSES} such classes"
        )
    return TrainingSet(
        texts=[t for t, x in pairs if x in kept],
        labels=[x for _, x in pairs if x in kept],
        label_counts={x: n for x, n in sorted(counts.items()) if x in kept},
        left_out={x: n for x, n in sorted(counts.items()) if x not in kept},
    )


def folds_for(label_counts: Mapping[str, int], wanted: int = DEFAULT_FOLDS) -> int:
    """The folds of a version's evaluation: `wanted`, fewer when the smallest class is smaller
    (each fold holds at least one case of each class); 0 when it cannot be evaluated."""
    smallest = min(label_counts.values(), default=0)
    k = min(wanted, smallest)
    return k if k >= 2 else 0


def auto_applies(enabled: bool, threshold: float, confidence: float) -> bool:
    """A suggestion is applied without a click when its target's setting is on and the model is
    at least `threshold` sure of it."""
    return enabled and confidence >= threshold


def check_threshold(value: float) -> float:
    if not 0.5 <= value <= 1.0:
        raise ValueError("the threshold is a confidence between 0.5 and 1")
    return value


def case_text(subject: str, description: str, request: str = "") -> str:
    """The text a model reads of a complaint: subject, account and what is asked for."""
    return "\n".join(part.strip() for part in (subject, description, request) if part.strip())
