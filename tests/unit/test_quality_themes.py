"""Comment themes: jieba words matched against the bank's keyword list, examples masked."""

from __future__ import annotations

import pytest

from manyi.quality.themes import (
    EXAMPLES,
    Theme,
    bank_themes,
    count_themes,
    mask_personal,
    parse_themes,
)


def test_the_bank_list_parses_and_names_distinct_themes() -> None:
    themes = bank_themes()
    assert len(themes) >= 5
    assert len({t.name for t in themes}) == len(themes)
    assert "等候时间" in {t.name for t in themes}


def test_a_bad_line_in_the_list_is_named() -> None:
    assert parse_themes("# note\n\n等候: 排队 慢\n") == [Theme("等候", frozenset({"排队", "慢"}))]
    with pytest.raises(ValueError, match="line 2"):
        parse_themes("等候: 排队\n没有冒号的行\n")
    with pytest.raises(ValueError, match="line 1"):
        parse_themes("等候:\n")


def test_comments_are_counted_once_per_theme_with_examples() -> None:
    comments = [
        "排队等了很久，叫号太慢",  # one comment, several waiting words: counted once
        "柜员很耐心，态度好",
        "等候时间太长了，排队的人多",
        "",
        "一切都好",
        "手续太繁琐，来回跑了三趟",
    ]
    found = {t.name: t for t in count_themes(comments)}
    assert found["等候时间"].count == 2
    assert found["服务态度"].count == 1
    assert found["手续流程"].count == 1
    assert found["等候时间"].examples == ["排队等了很久，叫号太慢", "等候时间太长了，排队的人多"]
    assert all(t.count > 0 for t in found.values())


def test_keywords_are_matched_as_words_not_substrings() -> None:
    themes = [Theme("办理", frozenset({"行", "太慢"})), Theme("态度", frozenset({"态度"}))]
    # 行 is inside the word 银行 (the bank), not a word of its own there: no match; 太慢 is.
    counted = count_themes(["这家银行很好", "办得太慢", "服务态度很好"], themes)
    assert [(t.name, t.count, t.examples) for t in counted] == [
        ("办理", 1, ["办得太慢"]),
        ("态度", 1, ["服务态度很好"]),
    ]


def test_most_frequent_first_and_at_most_three_examples() -> None:
    comments = [f"排队第{i}次" for i in range(5)] + ["态度好"]
    counted = count_themes(comments)
    assert counted[0].name == "等候时间" and counted[0].count == 5
    assert len(counted[0].examples) == EXAMPLES
    assert counted[0].as_json()["count"] == 5


def test_examples_are_masked_for_personal_data() -> None:
    comment = (
        "王先生排队很久，电话13812345678，身份证110105199001011234，"
        "卡号6228480402564890018，姓李的柜员态度差"
    )
    masked = mask_personal(comment)
    for secret in ("王先生", "13812345678", "110105199001011234", "6228480402564890018", "姓李"):
        assert secret not in masked
    assert "138****5678" in masked and "110105********1234" in masked and "姓*" in masked
    example = count_themes([comment])[0].examples[0]
    assert example == masked
    assert "13812345678" not in example


def test_plain_comments_are_left_as_they_are() -> None:
    assert mask_personal("柜员很耐心，等了10分钟") == "柜员很耐心，等了10分钟"
    assert mask_personal("张三女士") == "**女士"
