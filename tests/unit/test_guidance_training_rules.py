"""The case library's and training's pure rules: the personal-data check (numbers, the source's
people, names jieba finds, the usual anonymous forms, the author's "not names"), a case's words,
its states, a module's checks, scoring an attempt and the modules a finding assigns."""

from __future__ import annotations

import pytest

from manyi.errors import Conflict, InvalidInput
from manyi.guidance.domain.cases import (
    CaseState,
    Topic,
    check_text,
    masked_source,
    next_state,
    personal_data,
    refuse_personal_data,
)
from manyi.guidance.domain.training import (
    Question,
    check_module,
    modules_for_finding,
    parse_questions,
    score,
)

CARD = "6222 0202 0011 2233 446"  # 19 digits, Luhn


def kinds(text: str, known: tuple[str, ...] = (), not_names: tuple[str, ...] = ()) -> list[str]:
    return [p.kind for p in personal_data(text, known, not_names)]


def test_numbers_are_found_whatever_the_spacing() -> None:
    assert kinds("身份证号 11010519491231002X。") == ["id_number"]
    assert kinds("电话 138 1234 5678 联系") == ["mobile"]
    assert kinds("座机 010-62345678") == ["landline"]
    assert kinds(f"卡号 {CARD} 挂失") == ["card"]
    assert kinds("金额 5000000 元，共 12 笔") == []  # amounts are not card numbers


def test_names_of_the_source_and_what_jieba_takes_for_names() -> None:
    assert kinds("客户周慧投诉", known=("周慧",)) == ["known_name"]
    assert kinds("客户王建华到网点办理转账，柜员李静态度冷淡。") == ["name", "name"]
    # The anonymous forms a case uses are fine; a place the author lists as not a name is fine.
    assert kinds("王先生和李女士反映等候时间过长。") == []
    assert kinds("张家港支行的王先生反映等候过长。", not_names=("张家港",)) == []
    # A known name cannot be waved through as "not a name".
    assert kinds("客户周慧投诉", known=("周慧",), not_names=("周慧",)) == ["known_name"]


def test_refusals_say_what_and_mask_it() -> None:
    with pytest.raises(InvalidInput) as names:
        refuse_personal_data(personal_data("柜员李静态度冷淡"))
    assert "李静" in names.value.params["words"] and "not names" in names.value.message
    with pytest.raises(InvalidInput) as numbers:
        refuse_personal_data(personal_data("客户周慧电话13812345678", ("周慧",)))
    assert numbers.value.params["words"] == "13********8、周*"
    refuse_personal_data([])  # nothing found: nothing refused
    masked = masked_source("投诉人周慧，电话13812345678，身份证11010519491231002X", ["周慧"])
    assert "周慧" not in masked and "13812345678" not in masked and "002X" not in masked


def test_a_cases_words_and_states() -> None:
    text = check_text(
        "  起身  迎接 ", " 经过 \n", "", ["elderly", "attitude", "elderly"], "张家港，中关村"
    )
    assert (text.title, text.story, text.topics) == (
        "起身 迎接",
        "经过",
        (Topic.ELDERLY, Topic.ATTITUDE),
    )
    assert text.not_names == ("张家港", "中关村")
    for args, field in (
        (("", "x", "", ["attitude"]), "title"),
        (("t", " ", "", ["attitude"]), "story"),
        (("t", "x", "", []), "topics"),
        (("t", "x", "", ["gossip"]), "topics"),
        (("t" * 81, "x", "", ["attitude"]), "title"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_text(*args)
        assert refused.value.field == field
    assert next_state("draft", "submit") is CaseState.SUBMITTED
    assert next_state("returned", "edit") is None  # editing keeps the state
    assert next_state("submitted", "approve") is CaseState.PUBLISHED
    with pytest.raises(Conflict):
        next_state("published", "edit")
    with pytest.raises(Conflict):
        next_state("draft", "approve")


def test_a_modules_checks() -> None:
    assert check_module(" 起身迎接 ", "80%", "g1, G2 g1").items == ("G1", "G2")
    assert check_module("t", "100", "").pass_mark == 1.0
    for title, mark, items, field in (
        ("", "80", "", "title"),
        ("t", "49", "", "pass_mark"),
        ("t", "x", "", "pass_mark"),
        ("t", "80", "G1 ??", "items"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_module(title, mark, items)
        assert refused.value.field == field  # fmt: skip
    questions = parse_questions(
        "\n 先做什么？ | 继续操作 | *起身相迎 \n"
        "再做什么？|*道别|叫号|看手机 // 道别并提醒带好物品\n"
    )
    assert [(q.prompt, q.options, q.answer, q.why) for q in questions] == [
        ("先做什么？", ("继续操作", "起身相迎"), 1, ""),
        ("再做什么？", ("道别", "叫号", "看手机"), 0, "道别并提醒带好物品"),
    ]
    for text, line in (
        ("问 | 只有一个", 1),
        ("问 | a | b", 1),  # no right option marked
        ("问 | *a | *b", 1),  # two marked
        ("问 | *a | a", 1),  # the same option twice
        ("好 | *a | b\n | *a | b", 2),  # no question on line 2
        ("好 | *a | b\n\n问 | *a | | b", 3),  # an empty option
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_questions(text)
        assert refused.value.field == "questions" and refused.value.params["line"] == line


def test_scoring_and_the_modules_a_finding_assigns() -> None:
    questions = [Question("a", ("x", "y"), 1), Question("b", ("x", "y", "z"), 0)]
    assert score(questions, {1: "2", 2: "1"}, 0.8).passed
    half = score(questions, {1: "2", 2: "3"}, 0.8)
    assert (half.right, half.total, half.passed, half.score) == (1, 2, False, 0.5)
    assert score(questions, {1: "2", 2: "3"}, 0.5).passed
    for answers in ({1: "2"}, {1: "2", 2: "4"}, {1: "x", 2: "1"}):
        with pytest.raises(InvalidInput):
            score(questions, answers, 0.8)
    modules = [(3, ("G1", "G2")), (1, ("A1",)), (2, ("g1",)), (4, ())]
    assert modules_for_finding(["G1"], modules) == [3]  # codes are stored upper-case
    assert modules_for_finding(["a1", "G2"], modules) == [1, 3]
    assert modules_for_finding([], modules) == []
