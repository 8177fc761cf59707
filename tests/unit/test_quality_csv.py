"""The CSV contract of `manyi quality import` (pure parsing)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.quality.imports.csv_format import (
    COLUMNS,
    FileFormatError,
    LineProblem,
    ParsedFile,
    parse_csv,
)

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
HEADER = ",".join(COLUMNS)


def parse(*lines: str, newline: str = "\n", encoding: str = "utf-8") -> ParsedFile:
    return parse_csv(newline.join([HEADER, *lines, ""]).encode(encoding), NOW)


def only_problem(result: ParsedFile) -> LineProblem:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


GOOD = "r1,OUT-A,teller.a,A01,counter,2026-11-30T09:30:00+08:00,5,9,2,服务很好"


def test_a_good_line() -> None:
    result = parse(GOOD, "r2,OUT-B,,,lobby,2026-11-29T23:00:00Z,,,,就是慢")
    assert result.problems == [] and result.read == 2
    first, second = result.lines
    assert first.response_id == "r1" and first.outlet == "OUT-A" and first.teller == "teller.a"
    assert first.answered_at == dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)
    assert (first.csat, first.nps, first.ces, first.comment) == (5, 9, 2, "服务很好")
    assert second.teller is None and second.service is None and second.csat is None
    assert second.comment == "就是慢" and second.line == 3


def test_excel_resaved_utf8_bom_and_crlf() -> None:
    data = "\ufeff" + "\r\n".join(
        [HEADER, GOOD, 'r2,OUT-A,,,phone,2026-11-30T08:00:00+08:00,4,,,"两行\r\n评论"', ""]
    )
    result = parse_csv(data.encode("utf-8"), NOW)
    assert result.problems == [] and result.encoding == "utf-8"
    assert [r.response_id for r in result.lines] == ["r1", "r2"]
    assert result.lines[1].comment == "两行\n评论"


def test_gb18030_when_not_utf8() -> None:
    result = parse(GOOD, newline="\r\n", encoding="gb18030")
    assert result.encoding == "gb18030" and result.problems == []
    assert result.lines[0].comment == "服务很好"


def test_bytes_that_are_no_text_refuse_the_file() -> None:
    with pytest.raises(FileFormatError, match="neither UTF-8 nor GB18030"):
        parse_csv(HEADER.encode() + b"\n\x81\x20\xff\xfe\n", NOW)


def test_a_naive_time_is_refused_naming_line_and_field() -> None:
    problem = only_problem(parse(GOOD.replace("+08:00", "")))
    assert (problem.line, problem.field) == (2, "answered_at")
    assert "no UTC offset" in problem.reason
    date_only = only_problem(parse(GOOD.replace("2026-11-30T09:30:00+08:00", "2026-11-30")))
    assert date_only.field == "answered_at" and "no UTC offset" in date_only.reason
    garbage = only_problem(parse(GOOD.replace("2026-11-30T09:30:00+08:00", "30/11/2026 9:30")))
    assert "not an ISO 8601 time" in garbage.reason
    future = only_problem(parse(GOOD.replace("2026-11-30T09:30", "2026-12-30T09:30")))
    assert "in the future" in future.reason
    # A clock a few minutes ahead is forgiven (NOW is 10:00 in Shanghai), more is not.
    assert parse(GOOD.replace("09:30:00+08:00", "10:04:59+08:00")).problems == []
    ahead = only_problem(parse(GOOD.replace("09:30:00+08:00", "10:05:01+08:00")))
    assert ahead.field == "answered_at" and "in the future" in ahead.reason


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("csat", "0", "csat 0 is outside 1–5"),
        ("csat", "6", "csat 6 is outside 1–5"),
        ("csat", "4.5", "not a whole number from 1 to 5"),
        ("nps", "11", "nps 11 is outside 0–10"),
        ("nps", "-1", "not a whole number from 0 to 10"),
        ("ces", "8", "ces 8 is outside 1–7"),
        ("ces", "０", "not a whole number"),  # a full-width digit
        ("channel", "fax", "'fax' is not a channel"),
        ("channel", "", "channel is empty"),
        ("outlet", "", "outlet is empty"),
        ("outlet", "网点一", "is not a code"),
        ("response_id", "", "response_id is empty"),
        ("response_id", "x" * 65, "longer than 64"),
        ("comment", "长" * 2001, "longer than 2000"),
        ("service", "A 01", "is not a code"),
    ],
)
def test_bad_values_are_named_by_line_and_field(field: str, value: str, words: str) -> None:
    cells = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    cells[field] = value
    result = parse(GOOD.replace("r1,", "r0,"), ",".join(cells.values()))
    problem = only_problem(result)
    assert (problem.line, problem.field) == (3, field) and words in problem.reason
    assert [r.response_id for r in result.lines] == ["r0"]
    assert problem.text().startswith(f"line 3, {field}: ")


def test_every_problem_of_a_line_is_named() -> None:
    result = parse("r1,OUT-A,,,fax,2026-11-30T09:30:00,9,,,")
    assert [p.field for p in result.problems] == ["channel", "answered_at", "csat"]
    assert result.lines == []


def test_a_line_that_answers_nothing_is_bad() -> None:
    problem = only_problem(parse("r1,OUT-A,,,counter,2026-11-30T09:30:00+08:00,,,,"))
    assert problem.field == "csat" and "answers nothing" in problem.reason


def test_a_repeated_response_id_and_a_short_row() -> None:
    result = parse(GOOD, GOOD, "r3,OUT-A,counter", "", GOOD.replace("r1", "r4"))
    assert [(p.line, p.field) for p in result.problems] == [(3, "response_id"), (4, "")]
    assert "first on line 2" in result.problems[0].reason
    assert "3 fields but the header has 10" in result.problems[1].reason
    assert [r.line for r in result.lines] == [2, 6] and result.read == 4  # the blank line skipped


def test_columns_in_any_order_but_exactly_the_contract() -> None:
    reordered = ",".join(reversed(COLUMNS)) + "\n" + ",".join(reversed(GOOD.split(","))) + "\n"
    assert parse_csv(reordered.encode(), NOW).lines[0].csat == 5
    with pytest.raises(FileFormatError, match="missing column\\(s\\) comment"):
        parse_csv(HEADER.replace(",comment", "").encode() + b"\n", NOW)
    with pytest.raises(FileFormatError, match="unknown column\\(s\\) 'region'"):
        parse_csv((HEADER + ",region\n").encode(), NOW)
    with pytest.raises(FileFormatError, match="appears twice"):
        parse_csv((HEADER + ",csat\n").encode(), NOW)
    with pytest.raises(FileFormatError, match="the file is empty"):
        parse_csv(b"\n\n", NOW)


def test_a_nul_character_is_a_bad_line() -> None:
    problem = only_problem(parse(GOOD.replace("服务很好", "a\x00b")))
    assert problem.field == "comment" and "NUL" in problem.reason


def test_an_unclosed_quote_is_named() -> None:
    result = parse(GOOD, 'r2,OUT-A,,,counter,2026-11-30T09:30:00+08:00,5,,,"never closed')
    problem = only_problem(result)
    assert problem.line == 3 and problem.field == "" and "not valid CSV" in problem.reason
