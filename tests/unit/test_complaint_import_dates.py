"""The dates of complaint files: every unambiguous form read, every other refused with why."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.imports.dates import (
    EXCEL_1900,
    EXCEL_1904,
    DateReader,
    NotADate,
    Order,
    read_date,
)

APRIL_4 = dt.date(2019, 4, 4)


@pytest.mark.parametrize(
    "text",
    [
        "2019-04-04",
        "2019-4-4",
        "2019/4/4",  # Excel's and WPS's short date on Chinese Windows
        "2019/04/04",
        "2019.4.4",
        "2019.04.04",
        "20190404",  # core-banking systems
        "2019年4月4日",
        "2019年04月04日",
        "2019 年 4 月 4 日",
        "2019年4月4号",
        "２０１９年４月４日",  # full-width digits
        "２０１９／４／４",
        "  2019/4/4  ",
        "2019-04-04T10:05:00+08:00",
        "2019-04-04T10:05:00Z",
        "2019-04-04T10:05:00.123456+0800",
        "2019-04-04 10:05:00",
        "2019-04-04 10:05",
        "2019-04-04T23:59:59-05:00",  # the day as written, in the writer's zone
        "2019/4/4 10:05",
        "2019/4/4 10:05:06",
        "2019/4/4 下午3:05",
        "2019年4月4日 10时05分",
        "2019年4月4日10时05分30秒",
        "2019年4月4日 10:05",
        "20190404 10:05:00",
        "4-Apr-2019",  # Excel's d-mmm-yyyy
        "04-Apr-19",  # Excel's built-in d-mmm-yy
        "4 April 2019",
        "Apr 4, 2019",
        "April 4th, 2019",
        "4/4/2019",  # day and month are the same number: one reading
        "04.04.2019",
    ],
)
def test_every_unambiguous_form_is_read(text: str) -> None:
    assert read_date(text) == APRIL_4
    assert DateReader().read(text) == APRIL_4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13/05/2019", dt.date(2019, 5, 13)),  # only day first names a day
        ("05/13/2019", dt.date(2019, 5, 13)),  # only month first does
        ("13.05.2019", dt.date(2019, 5, 13)),
        ("31-12-2019", dt.date(2019, 12, 31)),
        ("12/31/2019 11:59 PM", dt.date(2019, 12, 31)),
    ],
)
def test_year_last_is_read_when_a_part_above_12_settles_the_order(
    text: str, expected: dt.date
) -> None:
    assert read_date(text) == expected


def test_the_order_a_format_states_reads_the_ambiguous_ones() -> None:
    assert read_date("04/05/2019", Order.MONTH_FIRST) == dt.date(2019, 4, 5)
    assert read_date("04/05/2019", Order.DAY_FIRST) == dt.date(2019, 5, 4)
    assert read_date("04/05/19", Order.MONTH_FIRST) == dt.date(2019, 4, 5)
    assert read_date("3/22/23", Order.MONTH_FIRST) == dt.date(2023, 3, 22)
    assert read_date("2019/4/5", Order.DAY_FIRST) == dt.date(2019, 4, 5)  # year first is year first
    # A US file re-saved by a spreadsheet set to day first: refused, not read the other way.
    assert read_date("22/03/2023", Order.MONTH_FIRST) == NotADate(
        "is not a date read month first, as this file's dates are (there is no month 22); if a "
        "spreadsheet re-wrote them in the other order, save them year first (2019-04-04)"
    )
    late = read_date("03/22/2023", Order.DAY_FIRST)
    assert isinstance(late, NotADate) and late.reason.startswith("is not a date read day first")
    assert read_date("13/13/2019", Order.MONTH_FIRST) == NotADate(
        "is not a date (there is no month 13)"
    )


def test_an_ambiguous_date_is_refused_saying_why() -> None:
    found = read_date("04/05/2019")
    assert isinstance(found, NotADate)
    assert found.reason.startswith(
        "is ambiguous: day and month are both 12 or less, so it could be 2019-05-04 (day first) "
        "or 2019-04-05 (month first); write it year first"
    )
    assert "%d/%m/%Y" in found.reason
    assert isinstance(read_date("04.05.2019"), NotADate)
    assert isinstance(read_date("04-05-2019"), NotADate)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("19/04/04", "has a two-digit year and the file does not say the order of its parts"),
        ("4/4/19", "has a two-digit year"),
        ("2019-02-29", "is not a date (2019-02 has no day 29)"),
        ("2019/4/31", "is not a date (2019-04 has no day 31)"),
        ("2019-13-01", "is not a date (there is no month 13)"),
        ("20191301", "is not a date (there is no month 13)"),
        ("2019年2月30日", "is not a date (2019-02 has no day 30)"),
        ("2019/4/4 25:00", "is not a date and time (25:00 is not a time of day)"),
        ("2019/4/4 10:61", "is not a date and time (10:61 is not a time of day)"),
        ("2019/4/4 13:00 PM", "is not a date and time (13:00 is not a time of day)"),
        ("1949/12/31", "is 1949-12-31, outside 1950–2099: not a plausible complaint date"),
        ("2109-04-04", "is 2109-04-04, outside 1950–2099"),
        ("4-Foo-2019", "is not a date ('Foo' is not the name of a month)"),
        ("43559", "is a number, not a date: if it is an Excel serial number, a CSV file does not"),
        ("yesterday", "is not a date (expected 2019-04-04, 2019/4/4, 2019.4.4, 20190404 or"),
        ("2019/4", "is not a date (expected"),
        ("2019-04-04 noon", "is not a date (expected"),
        ("04042019", "is not a date (expected"),
    ],
)
def test_refused_forms_say_why(text: str, reason: str) -> None:
    found = read_date(text)
    assert isinstance(found, NotADate), found
    assert found.reason.startswith(reason), found.reason


def test_the_expected_forms_follow_the_order() -> None:
    us = read_date("yesterday", Order.MONTH_FIRST)
    assert isinstance(us, NotADate) and "month first as 04/04/2019 or 04/04/19" in us.reason
    unknown = read_date("yesterday")
    assert isinstance(unknown, NotADate) and "month first" not in unknown.reason


def test_excel_serial_numbers_in_either_date_system() -> None:
    assert read_date("43559", serial_epoch=EXCEL_1900) == APRIL_4
    assert read_date("43559.4375", serial_epoch=EXCEL_1900) == APRIL_4  # 10:30 that day
    assert read_date("42097", serial_epoch=EXCEL_1904) == APRIL_4  # 1,462 days fewer
    below = read_date("0", serial_epoch=EXCEL_1900)
    assert isinstance(below, NotADate) and "of no day" in below.reason
    # Serials before March 1900 are off by Excel's phantom 29 February, and far too early.
    early = read_date("60", serial_epoch=EXCEL_1900)
    assert isinstance(early, NotADate) and "outside 1950–2099" in early.reason
    assert isinstance(read_date("18000", serial_epoch=EXCEL_1900), NotADate)  # 1949
    # A date in another form is read as usual in a workbook too.
    assert read_date("2019/4/4", serial_epoch=EXCEL_1900) == APRIL_4


def test_a_mappings_formats_come_first_and_state_the_order() -> None:
    reader = DateReader(formats=("%d/%m/%Y",))
    assert reader.order is Order.DAY_FIRST
    assert reader.read("04/05/2019") == dt.date(2019, 5, 4)
    assert reader.read("2019年5月4日") == dt.date(2019, 5, 4)  # the other forms still read
    refused = reader.read("05/13/2019")  # contradicts the stated order
    assert isinstance(refused, NotADate) and "no month 13" in refused.reason
    assert DateReader(formats=("%m/%d/%y",)).order is Order.MONTH_FIRST
    assert DateReader(formats=("%Y/%m/%d",)).order is Order.UNKNOWN
    far = DateReader(formats=("%Y%m%d",)).read("21090404")
    assert isinstance(far, NotADate) and "outside" in far.reason


def test_a_reader_reads_each_distinct_cell_once() -> None:
    reader = DateReader(Order.MONTH_FIRST)
    first = reader.read("03/22/23")
    assert reader.read("03/22/23") is first
    assert len(reader._seen) == 1
