"""The inspection scorecard (检查评分): how a visit's answers make a score.

Each item is answered passed, failed or not applicable. The score is the weight of the passed
items over the weight of the applicable ones (passed + failed), ×100, to one decimal:

    A1 weight 4 passed, A2 weight 6 failed, E3 weight 3 not applicable
    → 4 / (4 + 6) × 100 = 40.0

Not applicable takes an item out of both sides, so an outlet without self-service machines is
not marked down for them. A failed critical item flags the visit (`critical_failed`) whatever
the score: 95 with a missing fee list is still a visit head office must see. A failed item whose
standard asks for a photo must carry one before the visit can be submitted.

The score while the inspector fills the card (`score` on part of the answers) is the same rule
on what is answered so far; `check_complete` is what submitting asks in addition.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from manyi.errors import InvalidInput
from manyi.supervision.domain.standards import Item


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "na"


@dataclass(frozen=True)
class Answer:
    outcome: Outcome | None  # None: a photo was taken but no verdict given yet
    note: str = ""
    photos: int = 0


@dataclass(frozen=True)
class Score:
    value: float | None  # None: nothing applicable answered yet
    passed_weight: int
    applicable_weight: int
    answered: int
    total: int
    failed: tuple[str, ...]
    critical_failures: tuple[str, ...]

    @property
    def critical_failed(self) -> bool:
        return bool(self.critical_failures)

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def outcome_of(text: str, code: str) -> Outcome | None:
    """A form's answer for item `code` ("" = not answered), checked."""
    if not text:
        return None
    try:
        return Outcome(text)
    except ValueError:
        raise InvalidInput(
            "item {code}: the answer is passed, failed or na", "outcome", code=code
        ) from None


def check_codes(items: Sequence[Item], codes: Iterable[str]) -> None:
    """Refuse an answer for an item the visit's checklist does not have."""
    known = {i.code for i in items}
    for code in codes:
        if code not in known:
            raise InvalidInput("there is no item {code} in this checklist", "item", code=code)


def score(items: Sequence[Item], answers: Mapping[str, Answer]) -> Score:
    passed = applicable = answered = 0
    failed: list[str] = []
    critical: list[str] = []
    for item in items:
        answer = answers.get(item.code)
        if answer is None or answer.outcome is None:
            continue
        answered += 1
        if answer.outcome is Outcome.NOT_APPLICABLE:
            continue
        applicable += item.weight
        if answer.outcome is Outcome.PASSED:
            passed += item.weight
        else:
            failed.append(item.code)
            if item.critical:
                critical.append(item.code)
    value = round(100 * passed / applicable, 1) if applicable else None
    return Score(value, passed, applicable, answered, len(items), tuple(failed), tuple(critical))


def check_complete(items: Sequence[Item], answers: Mapping[str, Answer]) -> Score:
    """The score of a visit about to be submitted, or the first reason it cannot be."""
    check_codes(items, answers.keys())
    missing = [
        i.code for i in items if answers.get(i.code) is None or answers[i.code].outcome is None
    ]
    if missing:
        raise InvalidInput(
            "every item needs an answer before the visit is submitted: {codes} not answered",
            "outcome",
            codes=", ".join(missing),
        )
    for item in items:
        answer = answers[item.code]
        if item.photo_required and answer.outcome is Outcome.FAILED and answer.photos == 0:
            raise InvalidInput(
                "item {code} failed: its standard asks for a photo as evidence",
                "photo",
                code=item.code,
            )
    result = score(items, answers)
    if result.value is None:
        raise InvalidInput("every item is not applicable: there is nothing to score", "outcome")
    return result


# A re-check of a task that did not come from a failed item of this checklist passes when the
# visit has no critical failure and scores at least this.
RECHECK_PASS_MARK = 80.0


def recheck_passed(item_code: str | None, answers: Mapping[str, Answer], result: Score) -> bool:
    """Whether a re-inspection confirms the rectification: the item that failed before now
    passes (or no longer applies); without a known item, the visit as a whole passes."""
    if item_code is not None and item_code in answers:
        return answers[item_code].outcome is not Outcome.FAILED
    return not result.critical_failed and (result.value or 0) >= RECHECK_PASS_MARK
