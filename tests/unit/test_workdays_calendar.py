"""The bank's working-day calendar, pure: entered years over the package, make-up weekends,
guessed years, the notice's line format, and complaint deadlines counted on it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from manyi.complaints.domain.deadlines import ClockEvent, ClockKind, deadline_status, due_at
from manyi.complaints.domain.policies import PRESETS
from manyi.forecast import demand
from manyi.workdays.domain import (
    BankCalendar,
    Calendars,
    ChinaCalendar,
    DayKind,
    EnteredDay,
    YearSource,
    add_workdays,
    guessed_years,
)
from manyi.workdays.domain import notice as notice_module
from manyi.workdays.domain.notice import NoticeError, format_days, parse_notice

D = dt.date
NOTICE_2027 = """\
# a plausible 2027, for the tests
2027-01-01..2027-01-03 元旦
2027-02-05..2027-02-13 春节
2027-02-20 上班 春节
"""
WORKDAYS = PRESETS["cbirc-2020-workdays"]
SHANGHAI = "Asia/Shanghai"


def entered_2027() -> BankCalendar:
    return BankCalendar(parse_notice(2027, NOTICE_2027), [2027])


def test_a_year_nobody_knows_is_monday_to_friday_and_a_guess() -> None:
    calendar = BankCalendar()
    assert calendar.source(2027) is YearSource.GUESS and calendar.guessed(2027)
    assert calendar.is_workday(D(2027, 2, 8))  # a Monday: guessed a working day
    assert not calendar.is_workday(D(2027, 2, 20))  # a Saturday
    assert not calendar.known(D(2027, 2, 8))
    assert calendar.source(2026) is YearSource.PACKAGE and calendar.known(D(2026, 12, 31))


def test_an_entered_year_counts_its_holidays_and_make_up_saturday() -> None:
    calendar = entered_2027()
    assert calendar.source(2027) is YearSource.ENTERED and not calendar.guessed(2027)
    assert not calendar.is_workday(D(2027, 2, 8))  # Monday in 春节
    assert calendar.holiday_name(D(2027, 2, 8)) == "春节"
    assert calendar.is_workday(D(2027, 2, 20))  # the make-up Saturday
    assert calendar.holiday_name(D(2027, 2, 20)) is None
    assert calendar.is_workday(D(2027, 3, 1))  # any other Monday of the entered year
    assert not calendar.is_workday(D(2027, 3, 6))  # any other Saturday


def test_the_entered_year_takes_precedence_over_the_package() -> None:
    package = ChinaCalendar()
    assert not package.is_workday(D(2026, 10, 7))  # 国庆 in the package
    assert package.is_workday(D(2026, 9, 20))  # a make-up Sunday in the package
    # Head office enters 2026 without 10-07 and without the make-up Sunday: the table wins,
    # for the whole year, not date by date.
    corrected = BankCalendar(parse_notice(2026, "2026-10-01..2026-10-06 国庆节"), [2026])
    assert corrected.is_workday(D(2026, 10, 7))
    assert not corrected.is_workday(D(2026, 9, 20))
    assert not corrected.is_workday(D(2026, 10, 1))
    assert corrected.is_workday(D(2026, 2, 16))  # the package's 春节 is not used any more
    assert corrected.source(2026) is YearSource.ENTERED
    assert corrected.source(2025) is YearSource.PACKAGE  # other years keep the package
    assert not corrected.is_workday(D(2025, 10, 1))


def test_a_notice_may_move_a_december_day_of_the_year_before() -> None:
    days = parse_notice(2027, "2026-12-26 上班 元旦\n2027-01-01 元旦")
    calendar = BankCalendar(days, [2027])
    assert calendar.is_workday(D(2026, 12, 26))  # a Saturday, worked for 元旦
    assert calendar.source(2026) is YearSource.PACKAGE  # 2026's other days stay the package's
    assert not calendar.is_workday(D(2026, 12, 27))


def test_working_days_across_the_year_end() -> None:
    start = D(2026, 12, 28)
    assert add_workdays(BankCalendar(), start, 15) == D(2027, 1, 18)  # 元旦 unknown
    assert add_workdays(entered_2027(), start, 15) == D(2027, 1, 19)  # 元旦 (Friday) off
    assert guessed_years(BankCalendar(), D(2026, 12, 29), D(2027, 1, 18)) == (2027,)
    assert guessed_years(entered_2027(), D(2026, 12, 29), D(2027, 1, 19)) == ()


def test_a_complaint_deadline_running_into_a_guessed_year_names_it() -> None:
    received = dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    events = [ClockEvent(ClockKind.RECEIVED, received)]
    now = received + dt.timedelta(days=1)
    guessed = deadline_status(events, WORKDAYS, now, SHANGHAI, Calendars(cn=BankCalendar()))
    assert guessed.guessed_years == (2027,) and not guessed.calendar_known
    assert guessed.last_day == D(2027, 1, 18)
    known = deadline_status(events, WORKDAYS, now, SHANGHAI, Calendars(cn=entered_2027()))
    assert known.guessed_years == () and known.calendar_known
    assert known.last_day == D(2027, 1, 19)
    assert known.due_at == due_at(WORKDAYS, D(2026, 12, 28), 0, SHANGHAI, Calendars(entered_2027()))
    # Calendar days: holidays do not matter, nothing is guessed.
    plain = deadline_status(events, PRESETS["cbirc-2020"], now, SHANGHAI)
    assert plain.guessed_years == ()


def test_a_staffing_plan_groups_days_on_the_calendar_passed() -> None:
    guessed = demand.day_kind(D(2027, 2, 8), calendar=BankCalendar())
    assert guessed.open and guessed.kind == "mon" and "2027" in guessed.note
    entered = demand.day_kind(D(2027, 2, 8), calendar=entered_2027())
    assert entered == demand.DayKind("holiday", False, "")
    makeup = demand.day_kind(D(2027, 2, 20), calendar=entered_2027())
    assert makeup.open and makeup.kind == "makeup"


def test_the_notice_format_reads_runs_single_days_and_kinds() -> None:
    days = parse_notice(2027, NOTICE_2027 + "2027-06-09 holiday 端午节\n2027-09-26 workday 国庆节")
    assert len(days) == 3 + 9 + 1 + 1 + 1
    assert EnteredDay(D(2027, 2, 20), DayKind.WORKDAY, "春节", 2027) in days
    assert EnteredDay(D(2027, 6, 9), DayKind.HOLIDAY, "端午节", 2027) in days
    assert days == sorted(days, key=lambda d: d.day)
    assert parse_notice(2027, format_days(days)) == days  # the editor's text reads back the same


def problems_of(year: int, text: str) -> list[tuple[int, str]]:
    with pytest.raises(NoticeError) as caught:
        parse_notice(year, text)
    return [(p.line, p.text()) for p in caught.value.problems]


def test_bad_lines_are_named_by_number_and_nothing_is_taken() -> None:
    text = "\n".join(
        [
            "2027-01-01..2027-01-03 元旦",  # 1: fine
            "2027-02-30 春节",  # 2: no such date
            "2027-02-10..2027-02-05 春节",  # 3: backwards
            "2027-03-01 上班 春节",  # 4: a Monday as a make-up workday
            "2027-01-02 元旦",  # 5: listed on line 1
            "2028-01-01 元旦",  # 6: another year
            "2027-05-01",  # 7: no name
            "2027-04-01..2027-06-01 长假",  # 8: too long a run
        ]
    )
    problems = problems_of(2027, text)
    assert [line for line, _ in problems] == [2, 3, 4, 5, 6, 7, 8]
    assert "2027-02-30 is not a date" in problems[0][1]
    assert "ends before it starts" in problems[1][1]
    assert "2027-03-01 is a weekday" in problems[2][1]
    assert "already listed on line 1" in problems[3][1]
    assert "not in the 2027 notice" in problems[4][1]
    assert "name the holiday" in problems[5][1]
    assert "at most 31 days" in problems[6][1]


def test_an_empty_notice_or_a_wild_year_is_refused() -> None:
    assert problems_of(2027, "# only a comment\n\n") == [(0, "enter at least one holiday")]
    assert problems_of(1999, "1999-01-01 元旦")[0][0] == 0


def test_every_refusal_of_a_line_has_chinese() -> None:
    from manyi.web.i18n import translator

    zh = translator("zh-CN")
    source = Path(notice_module.__file__).read_text(encoding="utf-8")
    messages = {
        node.args[1].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "Problem"
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Constant)
    }
    assert len(messages) >= 10
    assert [m for m in messages if zh(m) == m] == []


def test_the_package_calendar_answers_as_the_package_does() -> None:
    """ChinaCalendar reads the package's tables once instead of calling it per day: every day
    of every year the package knows gets the package's own answer."""
    import chinese_calendar

    calendar = ChinaCalendar()
    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert (calendar.holiday_name(day) is not None) == (on_holiday and name is not None), day
        assert calendar.known(day)
        day += dt.timedelta(days=1)
    assert not calendar.known(D(2027, 1, 1)) and not calendar.known(D(2003, 12, 31))
