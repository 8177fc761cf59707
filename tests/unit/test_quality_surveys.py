"""Survey definitions and answers (quality.domain.surveys): validation, answers, sampling."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from manyi.quality.domain import surveys as s


def defn(trigger: str = "ticket") -> dict[str, Any]:
    return copy.deepcopy(s.DEFAULTS[trigger])


@pytest.mark.parametrize("trigger", s.TRIGGERS)
def test_every_default_survey_is_valid_and_round_trips(trigger: str) -> None:
    parsed = s.parse_definition(s.DEFAULTS[trigger])
    assert parsed.trigger == trigger
    assert s.parse_definition(s.to_json(parsed)) == parsed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(trigger="party"), "trigger"),
        (lambda d: d.update(title_zh=""), "survey.title_zh"),
        (lambda d: d.update(questions=[]), "questions"),
        (lambda d: d["questions"][0].update(kind="stars"), "questions[0].kind"),
        (lambda d: d["questions"][1].update(id="csat"), "questions[1].id"),
        (lambda d: d["questions"][0].update(id="Bad Id"), "questions[0].id"),
        (lambda d: d["questions"][1].update(kind="csat"), "questions[1].kind"),
        (lambda d: d["questions"][0].update(en="x" * 301), "questions[0].en"),
        (
            lambda d: d["questions"][0].update(options=[{"id": "a", "zh": "甲", "en": "A"}]),
            "questions[0].options",
        ),
        (lambda d: d["questions"][0].update(required="yes"), "questions[0].required"),
        (
            lambda d: d["questions"].append(
                {
                    "id": "pick",
                    "kind": "single",
                    "zh": "选",
                    "en": "Pick",
                    "options": [{"id": "a", "zh": "甲", "en": "A"}],
                }
            ),
            "questions[3].options",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field(change: Any, field: str) -> None:
    data = defn()
    change(data)
    with pytest.raises(s.SurveyError) as refused:
        s.parse_definition(data)
    assert refused.value.field == field


def test_an_answer_fills_the_scales_and_the_comment() -> None:
    survey = s.parse_definition(defn())
    answer = s.check_answer(survey, {"csat": ["4"], "nps": ["10"], "comment": [" 很好 "]})
    assert (answer.csat, answer.nps, answer.ces, answer.comment) == (4, 10, None, "很好")
    assert answer.values == {"csat": 4, "nps": 10, "comment": "很好"}


def test_choices_single_and_multiple() -> None:
    data = defn("complaint")
    data["questions"].append(
        {
            "id": "what",
            "kind": "multiple",
            "zh": "哪些",
            "en": "Which",
            "required": False,
            "options": [{"id": "a", "zh": "甲", "en": "A"}, {"id": "b", "zh": "乙", "en": "B"}],
        }
    )
    survey = s.parse_definition(data)
    answer = s.check_answer(survey, {"csat": ["5"], "resolved": ["partly"], "what": ["a", "b"]})
    assert answer.values == {"csat": 5, "resolved": "partly", "what": ["a", "b"]}
    with pytest.raises(s.SurveyError) as refused:
        s.check_answer(survey, {"csat": ["5"], "resolved": ["yes", "no"]})
    assert refused.value.field == "resolved"
    with pytest.raises(s.SurveyError) as refused:
        s.check_answer(survey, {"csat": ["5"], "resolved": ["yes"], "what": ["c"]})
    assert refused.value.field == "what"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"nps": ["9"]}, "csat"),  # required, missing
        ({"csat": ["6"], "nps": ["9"]}, "csat"),  # off the 1–5 scale
        ({"csat": ["0"], "nps": ["9"]}, "csat"),
        ({"csat": ["4"], "nps": ["11"]}, "nps"),
        ({"csat": ["4"], "nps": ["-1"]}, "nps"),
        ({"csat": ["4.5"], "nps": ["9"]}, "csat"),
        ({"csat": ["4", "5"], "nps": ["9"]}, "csat"),
        ({"csat": ["4"], "nps": ["9"], "comment": ["字" * 1001]}, "comment"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_question(
    form: dict[str, list[str]], field: str
) -> None:
    with pytest.raises(s.SurveyError) as refused:
        s.check_answer(s.parse_definition(defn()), form)
    assert refused.value.field == field


def test_ces_takes_one_to_seven() -> None:
    survey = s.parse_definition(defn("bundle"))
    assert s.check_answer(survey, {"csat": ["3"], "ces": ["7"]}).ces == 7
    with pytest.raises(s.SurveyError):
        s.check_answer(survey, {"csat": ["3"], "ces": ["8"]})


def test_sampling_is_a_stable_hash_of_the_visit() -> None:
    keys = [f"t:1:2026-11-30:A{n:03d}" for n in range(2000)]
    first = [s.sampled(k, 30) for k in keys]
    assert first == [s.sampled(k, 30) for k in keys]  # the same decision every time
    assert 0.26 < sum(first) / len(keys) < 0.34  # about the rate
    assert all(s.sampled(k, 100) for k in keys[:50])
    assert not any(s.sampled(k, 0) for k in keys[:50])
    # A lower rate samples a subset of a higher rate's sample.
    assert all(s.sampled(k, 50) for k in keys if s.sampled(k, 30))


def test_the_token_is_stored_as_its_hash() -> None:
    assert s.token_hash("abc") == s.token_hash("abc") != s.token_hash("abd")
    assert len(s.token_hash("abc")) == 64 and "abc" not in s.token_hash("abc")
