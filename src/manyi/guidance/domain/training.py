"""Scenario training (情景演练): a module of published cases with questions, its checks, scoring
an attempt, and which modules a finding assigns (pure).

- A module has a title, the published cases it teaches in order, questions (each with two to
  five options, exactly one right, and why), a pass mark (a share of questions right), and the
  window-service checklist items it trains (`items`: the codes of supervision's standard, e.g.
  "G1" greeting) — an inspection that fails one of them assigns the module to that outlet.
- An attempt answers every question; its score is the share right; it passes at the pass mark.
  Staff may try again; a staff member has completed a module once an attempt passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from manyi.errors import InvalidInput
from manyi.parsing import ascii_int

TITLE_MAX: Final = 80
PROMPT_MAX: Final = 300
OPTION_MAX: Final = 120
WHY_MAX: Final = 300
MAX_QUESTIONS: Final = 30
MIN_OPTIONS, MAX_OPTIONS = 2, 5
DEFAULT_PASS: Final = 0.8
ITEM_CODE: Final = re.compile(r"[A-Z]{1,3}-?[0-9]{1,3}")  # as supervision's standards write them


@dataclass(frozen=True, slots=True)
class Question:
    prompt: str
    options: tuple[str, ...]
    answer: int  # index of the right option
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "options": list(self.options), "answer": self.answer,
                "why": self.why}  # fmt: skip

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Question:
        return cls(str(data["prompt"]), tuple(data["options"]), int(data["answer"]),
                   str(data.get("why", "")))  # fmt: skip


QUESTIONS_MAX_CHARS: Final = 20_000


def parse_questions(text: str) -> list[Question]:
    """The module editor's questions, one per line (blank lines skipped)::

        老年客户走近窗口时，柜员首先应当： | 继续整理凭证 | *起身相迎并主动问候 | 示意取号 // 解析

    the question, then two to five options separated by "|", the right one marked "*", and an
    optional explanation after "//". A fault names its line."""
    if len(text or "") > QUESTIONS_MAX_CHARS:
        raise InvalidInput("the questions are too long", "questions")
    questions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        body, _, why = line.partition("//")
        parts = [p.strip() for p in body.split("|")]
        marked = [i for i, p in enumerate(parts[1:], start=1) if p.startswith("*")]
        if len(parts) < 1 + MIN_OPTIONS or len(marked) != 1:
            raise InvalidInput(
                "line {line}: write the question, then two to five options separated by |, "
                "the right one marked *",
                "questions",
                line=number,
            )
        options = [p.removeprefix("*").strip() for p in parts[1:]]
        questions.append(_question(parts[0], options, marked[0] - 1, why, number))
    return questions


def _question(prompt: str, options: Sequence[str], answer: int, why: str, line: int) -> Question:
    """One line's question, checked; `answer` is the right option's index."""
    prompt, why = " ".join(prompt.split()), " ".join(why.split())
    kept = [" ".join(o.split()) for o in options]
    if not prompt:
        raise InvalidInput("line {line}: the question is missing", "questions", line=line)
    if len(prompt) > PROMPT_MAX or len(why) > WHY_MAX:
        raise InvalidInput("line {line}: the question is too long", "questions", line=line)
    if not MIN_OPTIONS <= len(kept) <= MAX_OPTIONS or not all(kept):
        raise InvalidInput(
            "line {line}: a question has two to five options", "questions", line=line
        )
    if any(len(o) > OPTION_MAX for o in kept) or len(set(kept)) != len(kept):
        raise InvalidInput(
            "line {line}: options must be short and different", "questions", line=line
        )
    return Question(prompt, tuple(kept), answer, why)


@dataclass(frozen=True, slots=True)
class ModuleText:
    title: str
    pass_mark: float
    items: tuple[str, ...]


def check_module(title: str, pass_mark: str, items: str) -> ModuleText:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("a module needs a title", "title")
    if len(title) > TITLE_MAX:
        raise InvalidInput("the title is longer than {max} characters", "title", max=TITLE_MAX)
    mark = ascii_int((pass_mark or "").strip().rstrip("%"), 50, 100)
    if mark is None:
        raise InvalidInput("the pass mark is a percentage from 50 to 100", "pass_mark")
    codes = tuple(dict.fromkeys(c.upper() for c in re.split(r"[\s,，、]+", items or "") if c))
    bad = [c for c in codes if not ITEM_CODE.fullmatch(c)]
    if bad:
        raise InvalidInput("{code} is not a checklist item code", "items", code=bad[0][:16])
    return ModuleText(title, mark / 100, codes)


def check_ready(cases: Sequence[object], questions: Sequence[Question]) -> None:
    """A module is published with at least one case and one question, and not too many."""
    if not cases:
        raise InvalidInput("a module teaches at least one published case", "cases")
    if not questions:
        raise InvalidInput("a module asks at least one question", "questions")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput("a module asks at most {n} questions", "questions", n=MAX_QUESTIONS)


@dataclass(frozen=True, slots=True)
class Result:
    right: int
    total: int
    passed: bool

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0


def score(questions: Sequence[Question], answers: Mapping[int, str], pass_mark: float) -> Result:
    """An attempt: every question answered with one of its options (1-based), else refused."""
    right = 0
    for n, question in enumerate(questions, start=1):
        chosen = ascii_int(answers.get(n), 1, len(question.options))
        if chosen is None:
            raise InvalidInput("answer question {n}", f"q{n}", n=n)
        right += chosen - 1 == question.answer
    total = len(questions)
    return Result(right, total, total > 0 and right / total >= pass_mark - 1e-9)


def modules_for_finding(
    failed: Iterable[str], modules: Iterable[tuple[int, Sequence[str]]]
) -> list[int]:
    """The published modules (id, items) that train any failed checklist item, in id order."""
    codes = {c.upper() for c in failed}
    return sorted(module_id for module_id, items in modules if codes & set(items))
