"""The monthly anonymous staff pulse survey (员工满意度): questions, answers, and the report
that never shows a group smaller than five.

Each answer holds three scores from 1 (bad) to 5 (good) — workload (我的工作量合理), support
(我得到所需的支持), pressure (压力可以承受) — and an optional comment.

Reporting rule (`report`): a unit's figures are shown only when at least `MIN_GROUP` (5)
people answered. Units below that are pooled into one "other units" row, shown when the pool
reaches five and otherwise only counted as "fewer than 5". The total for the whole scope is
withheld when a pool of one to four is hidden, since the total minus the rows shown would
reveal it. So a reader can never narrow an average down to fewer than five people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from manyi.errors import InvalidInput

QUESTIONS = ("workload", "support", "pressure")
MIN_GROUP = 5
COMMENT_MAX = 500


@dataclass(frozen=True)
class Answer:
    scores: Mapping[str, int]
    comment: str = ""


def parse_answer(form: Mapping[str, str]) -> Answer:
    """An answer from the form; a missing or out-of-range score is refused, naming it."""
    scores = {}
    for question in QUESTIONS:
        text = (form.get(question) or "").strip()
        if text not in {"1", "2", "3", "4", "5"}:
            raise InvalidInput("{question}: choose 1 to 5", question, question=question)
        scores[question] = int(text)
    comment = (form.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput("comment: at most {n} characters", "comment", n=COMMENT_MAX)
    return Answer(scores, comment)


@dataclass(frozen=True)
class Group:
    """Sums of the answers of one unit and month (as the query returns them)."""

    key: str  # the unit's code
    name: str
    respondents: int
    sums: Mapping[str, int]


@dataclass(frozen=True)
class Shown:
    key: str
    name: str
    respondents: int
    means: Mapping[str, float]


@dataclass(frozen=True)
class Report:
    rows: tuple[Shown, ...]  # groups of five or more
    pooled: Shown | None  # the small groups together, when they make five
    hidden_groups: int  # small groups not shown at all ("fewer than 5")
    total: Shown | None  # the whole scope; None when it would reveal a hidden pool


def _shown(key: str, name: str, groups: Sequence[Group]) -> Shown:
    n = sum(g.respondents for g in groups)
    means = {q: round(sum(g.sums[q] for g in groups) / n, 2) for q in QUESTIONS}
    return Shown(key, name, n, means)


def report(groups: Sequence[Group], *, pooled_name: str, total_name: str) -> Report:
    big = [g for g in groups if g.respondents >= MIN_GROUP]
    small = [g for g in groups if 0 < g.respondents < MIN_GROUP]
    small_n = sum(g.respondents for g in small)
    pooled = _shown("", pooled_name, small) if small_n >= MIN_GROUP else None
    hidden = 0 if pooled else len(small)
    everyone = [g for g in groups if g.respondents > 0]
    total_n = sum(g.respondents for g in everyone)
    total = None
    if total_n >= MIN_GROUP and (small_n == 0 or small_n >= MIN_GROUP):
        total = _shown("", total_name, everyone)
    return Report(
        rows=tuple(_shown(g.key, g.name, [g]) for g in sorted(big, key=lambda g: g.key)),
        pooled=pooled,
        hidden_groups=hidden,
        total=total,
    )
