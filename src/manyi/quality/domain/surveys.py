"""Survey definitions and answers (issue 17, "Surveys"): pure rules, no database, no clock.

A definition is versioned data that head office edits (`parse_definition` checks one); an answer
is checked against the version it answers (`check_answer`). CSAT, NPS and CES questions feed the
response's columns of the same name (at most one of each per survey); choice and free-text
answers are kept with the invitation, and the first free-text answer is the response's comment.

Sampling is deterministic: `sampled(visit_key, rate)` hashes the visit, so the same visit gets the
same decision on every worker and in every test run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("csat", "nps", "ces", "single", "multiple", "text")
SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
CHOICES = ("single", "multiple")
TRIGGERS = ("ticket", "bundle", "complaint", "visit")
# How an invitation reached the customer (the response's `channel`).
REACHES = ("status_page", "voucher", "rating_pad", "slip", "message", "link")
MAX_QUESTIONS = 12
MAX_OPTIONS = 12
MAX_TEXT = 300  # characters of a question's or an option's wording
MAX_COMMENT = 1000  # characters of a free-text answer
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class SurveyError(ValueError):
    """A definition or an answer refused: `field` names where, `message` says why (English
    message id, translated by the page)."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(f"{field}: {message.format(**params)}")
        self.field = field
        self.message = message  # a template; `params` fill it
        self.params = params


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: str
    zh: str
    en: str
    required: bool = True
    options: tuple[Option, ...] = ()

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Definition:
    trigger: str
    title_zh: str
    title_en: str
    questions: tuple[Question, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


@dataclass(frozen=True, slots=True)
class Answer:
    csat: int | None
    nps: int | None
    ces: int | None
    comment: str | None
    values: dict[str, Any] = field(default_factory=dict)  # question id -> int | str | list[str]


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SurveyError(f"{where}.{key}", "is required")
    if len(value) > MAX_TEXT:
        raise SurveyError(f"{where}.{key}", "is longer than {n} characters", n=MAX_TEXT)
    return value.strip()


def _id(data: Mapping[str, Any], where: str) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not _ID.match(value):
        raise SurveyError(f"{where}.id", "must be a short lower-case name (a-z, 0-9, _)")
    return value


def parse_definition(data: Any) -> Definition:
    """A definition from its JSON form, or SurveyError naming the first fault."""
    if not isinstance(data, Mapping):
        raise SurveyError("survey", "must be an object")
    trigger = data.get("trigger")
    if trigger not in TRIGGERS:
        raise SurveyError("trigger", "must be one of {names}", names=", ".join(TRIGGERS))
    title_zh = _text(data, "title_zh", "survey")
    title_en = _text(data, "title_en", "survey")
    raw = data.get("questions")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise SurveyError("questions", "at least one question is required")
    if len(raw) > MAX_QUESTIONS:
        raise SurveyError("questions", "at most {n} questions", n=MAX_QUESTIONS)
    questions: list[Question] = []
    seen: set[str] = set()
    for i, q in enumerate(raw):
        where = f"questions[{i}]"
        if not isinstance(q, Mapping):
            raise SurveyError(where, "must be an object")
        qid = _id(q, where)
        if qid in seen:
            raise SurveyError(f"{where}.id", "is used twice")
        seen.add(qid)
        kind = q.get("kind")
        if kind not in KINDS:
            raise SurveyError(f"{where}.kind", "must be one of {names}", names=", ".join(KINDS))
        if kind in SCALES and any(other.kind == kind for other in questions):
            raise SurveyError(f"{where}.kind", "only one {kind} question per survey", kind=kind)
        required = q.get("required", True)
        if not isinstance(required, bool):
            raise SurveyError(f"{where}.required", "must be true or false")
        options: list[Option] = []
        raw_options = q.get("options", [])
        if kind in CHOICES:
            if not isinstance(raw_options, Sequence) or not 2 <= len(raw_options) <= MAX_OPTIONS:
                raise SurveyError(
                    f"{where}.options", "2 to {n} options are required", n=MAX_OPTIONS
                )
            for j, o in enumerate(raw_options):
                owhere = f"{where}.options[{j}]"
                if not isinstance(o, Mapping):
                    raise SurveyError(owhere, "must be an object")
                oid = _id(o, owhere)
                if any(x.id == oid for x in options):
                    raise SurveyError(f"{owhere}.id", "is used twice")
                options.append(Option(oid, _text(o, "zh", owhere), _text(o, "en", owhere)))
        elif raw_options:
            raise SurveyError(f"{where}.options", "only choice questions have options")
        questions.append(
            Question(
                qid, kind, _text(q, "zh", where), _text(q, "en", where), required, tuple(options)
            )
        )
    return Definition(trigger, title_zh, title_en, tuple(questions))


def to_json(definition: Definition) -> dict[str, Any]:
    """The JSON form `parse_definition` reads back."""

    def question(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {"id": q.id, "kind": q.kind, "zh": q.zh, "en": q.en}
        if not q.required:
            out["required"] = False
        if q.options:
            out["options"] = [{"id": o.id, "zh": o.zh, "en": o.en} for o in q.options]
        return out

    return {
        "trigger": definition.trigger,
        "title_zh": definition.title_zh,
        "title_en": definition.title_en,
        "questions": [question(q) for q in definition.questions],
    }


def check_answer(definition: Definition, form: Mapping[str, Sequence[str]]) -> Answer:
    """The customer's answer from a form (field name -> values sent), or SurveyError."""
    values: dict[str, Any] = {}
    scales: dict[str, int | None] = {"csat": None, "nps": None, "ces": None}
    comment: str | None = None
    for q in definition.questions:
        sent = [v.strip() for v in form.get(q.id, ()) if v.strip()]
        if not sent:
            if q.required:
                raise SurveyError(q.id, "Please answer this question.")
            continue
        if q.kind in SCALES:
            low, high = SCALES[q.kind]
            if len(sent) != 1 or not sent[0].isdigit() or not low <= int(sent[0]) <= high:
                raise SurveyError(q.id, "Choose a score from {low} to {high}.", low=low, high=high)
            scales[q.kind] = values[q.id] = int(sent[0])
        elif q.kind in CHOICES:
            known = {o.id for o in q.options}
            if any(v not in known for v in sent) or len(set(sent)) != len(sent):
                raise SurveyError(q.id, "Choose among the options shown.")
            if q.kind == "single" and len(sent) != 1:
                raise SurveyError(q.id, "Choose one option.")
            values[q.id] = sent[0] if q.kind == "single" else sent
        else:
            text = " ".join(sent)
            if len(text) > MAX_COMMENT:
                raise SurveyError(q.id, "At most {n} characters.", n=MAX_COMMENT)
            values[q.id] = text
            comment = comment or text
    return Answer(scales["csat"], scales["nps"], scales["ces"], comment, values)


def sampled(visit_key: str, rate_percent: int) -> bool:
    """Whether this visit is in the sample at this rate (0–100 %): a hash of the visit, not a
    random draw, so the decision is the same on every worker and every run."""
    if rate_percent >= 100:
        return True
    if rate_percent <= 0:
        return False
    bucket = int.from_bytes(hashlib.sha256(visit_key.encode()).digest()[:4], "big") % 10_000
    return bucket < rate_percent * 100


def token_hash(token: str) -> str:
    """What is stored of an invitation's token: its SHA-256 (the token is random, 192 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _scale(kind: str, qid: str, zh: str, en: str) -> dict[str, Any]:
    return {"id": qid, "kind": kind, "zh": zh, "en": en}


_CSAT = _scale("csat", "csat", "您对本次服务满意吗？", "How satisfied are you with this service?")
_NPS = _scale(
    "nps", "nps", "您有多大可能向亲友推荐我行？", "How likely are you to recommend us to a friend?"
)
_CES = _scale("ces", "ces", "办理这项业务有多容易？", "How easy was it to get this done?")
_COMMENT = {
    "id": "comment",
    "kind": "text",
    "zh": "还有什么想告诉我们的吗？",
    "en": "Anything else you would like to tell us?",
    "required": False,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "ticket": {
        "trigger": "ticket",
        "title_zh": "请评价本次服务",
        "title_en": "Please rate our service",
        "questions": [_CSAT, _NPS, _COMMENT],
    },
    "bundle": {
        "trigger": "bundle",
        "title_zh": "请评价本次柜面业务",
        "title_en": "Please rate your counter visit",
        "questions": [_CSAT, _CES, _COMMENT],
    },
    "complaint": {
        "trigger": "complaint",
        "title_zh": "投诉处理回访",
        "title_en": "How we handled your complaint",
        "questions": [
            _scale(
                "csat", "csat", "您对投诉处理结果满意吗？", "Are you satisfied with the outcome?"
            ),
            {
                "id": "resolved",
                "kind": "single",
                "zh": "您的问题解决了吗？",
                "en": "Was your problem solved?",
                "options": [
                    {"id": "yes", "zh": "已解决", "en": "Yes"},
                    {"id": "partly", "zh": "部分解决", "en": "Partly"},
                    {"id": "no", "zh": "未解决", "en": "No"},
                ],
            },
            _COMMENT,
        ],
    },
    "visit": {
        "trigger": "visit",
        "title_zh": "请评价本次上门服务",
        "title_en": "Please rate our home visit",
        "questions": [_CSAT, _COMMENT],
    },
}
