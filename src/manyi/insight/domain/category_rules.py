"""Checks on a prominent-issue category as head office types it: each refusal names its field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from manyi.complaints.domain.taxonomy import DEPARTMENTS
from manyi.errors import InvalidInput
from manyi.insight.domain.issues import IssueCategory

CODE = re.compile(r"[a-z][a-z0-9_]{1,63}")
NAME_MAX = 100
NAME_EN_MAX = 200
TEXT_MAX = 2000
WORDS_MAX = 50  # keywords, examples
WORD_MAX = 200
SPLIT = re.compile(r"[\s,;，；、]+")


@dataclass(frozen=True)
class CategoryForm:
    """The form's fields as typed (text)."""

    code: str
    name_zh: str
    name_en: str
    definition: str
    keywords: str  # separated by spaces, commas or 、
    examples: str  # one per line
    owner_department: str
    target_decline_pct: str
    starts_on: str
    due_on: str
    active: bool
    sort_order: str = "0"


def _date(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("a date like 2026-12-31", field) from None


def check(form: CategoryForm) -> IssueCategory:
    code = form.code.strip()
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "the code is 2 to 64 lower-case letters, digits or _ and starts with a letter", "code"
        )
    name_zh = form.name_zh.strip()
    if not name_zh:
        raise InvalidInput("a category needs a Chinese name", "name_zh")
    if len(name_zh) > NAME_MAX:
        raise InvalidInput("the name is longer than {max} characters", "name_zh", max=NAME_MAX)
    name_en = form.name_en.strip()
    if len(name_en) > NAME_EN_MAX:
        raise InvalidInput("the name is longer than {max} characters", "name_en", max=NAME_EN_MAX)
    definition = form.definition.strip()
    if not definition:
        raise InvalidInput("say what belongs to the category", "definition")
    if len(definition) > TEXT_MAX:
        raise InvalidInput("the text is longer than {max} characters", "definition", max=TEXT_MAX)
    keywords = tuple(dict.fromkeys(w for w in SPLIT.split(form.keywords.strip()) if w))
    examples = tuple(
        dict.fromkeys(line.strip() for line in form.examples.splitlines() if line.strip())
    )
    for name, words in (("keywords", keywords), ("examples", examples)):
        if len(words) > WORDS_MAX:
            raise InvalidInput("at most {max} entries", name, max=WORDS_MAX)
        if any(len(w) > WORD_MAX for w in words):
            raise InvalidInput("an entry is longer than {max} characters", name, max=WORD_MAX)
    if form.owner_department not in DEPARTMENTS:
        raise InvalidInput("choose the owner department", "owner_department")
    try:
        pct = float(form.target_decline_pct.strip())
    except ValueError:
        raise InvalidInput("the target decline is a percentage from 0 to 100", "target") from None
    if not 0 <= pct <= 100:
        raise InvalidInput("the target decline is a percentage from 0 to 100", "target")
    starts_on = _date(form.starts_on, "starts_on")
    due_on = _date(form.due_on, "due_on")
    if (starts_on is None) != (due_on is None):
        raise InvalidInput("give both the start and the due date, or neither", "due_on")
    if starts_on is not None and due_on is not None and due_on < starts_on:
        raise InvalidInput("the due date comes before the start", "due_on")
    order_text = form.sort_order.strip() or "0"
    if not order_text.isascii() or not order_text.lstrip("-").isdigit():
        raise InvalidInput("the order is a whole number", "sort_order")
    return IssueCategory(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        definition=definition,
        owner_department=form.owner_department,
        target_decline_pct=pct,
        keywords=keywords,
        examples=examples,
        starts_on=starts_on,
        due_on=due_on,
        active=form.active,
        sort_order=int(order_text),
    )
