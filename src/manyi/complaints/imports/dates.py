"""Dates as banks' files carry them, read only when they can mean one day (pure).

A complaint file has passed through a core system, a spreadsheet and someone's locale before it
reaches manyi; the same 4 April 2019 arrives as any of::

    2019-04-04   2019-4-4   2019/4/4   2019.4.4   20190404   2019年4月4日   ２０１９年４月４日
    2019-04-04T10:05:00+08:00   2019/4/4 10:05   2019年4月4日 10时05分   4-Apr-2019   Apr 4, 2019
    43559 (an Excel serial number, in an .xlsx only)

All of those are read. A time of day after the date is checked and dropped: an import keeps
the day of receipt. With a UTC offset the day is the one written, in the writer's zone (the
offset says where the clock was, not which unit received the complaint).

What is refused, and why (the reason goes into the message):

- a day-first or month-first date whose day and month are both 12 or less (04/05/2019 is 4 May
  or 5 April) unless the format says which order it uses (`Order`): the CFPB export is US, so
  month first; a bank's mapping says so by its `date_format`. With a part above 12 only one
  reading is a date, and that one is taken;
- a two-digit year when the order is not known (19/04/04 is 2019-04-04, 2004-04-19 or 2004-19-04);
- a bare number in a text file: an Excel serial number means a day only with the workbook's date
  system (1900 or 1904), which a CSV does not carry;
- a day that does not exist (2019-02-30), a time that does not exist (25:00), and a date outside
  `EARLIEST`–`LATEST`, which is a typo rather than a complaint.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from manyi.complaints.imports.base import two_digit_year

EARLIEST = dt.date(1950, 1, 1)
LATEST = dt.date(2099, 12, 31)
EXCEL_1900 = CALENDAR_WINDOWS_1900  # the epochs a workbook may declare
EXCEL_1904 = CALENDAR_MAC_1904


class Order(StrEnum):
    """The order of a date whose year comes last (04/05/2019)."""

    MONTH_FIRST = "mdy"  # the US, and so the CFPB export
    DAY_FIRST = "dmy"
    UNKNOWN = "unknown"  # read only when a part above 12 leaves one reading


@dataclass(frozen=True, slots=True)
class NotADate:
    """Why a cell is not read as a date; the message is "<column> '<cell>' <reason>"."""

    reason: str


DateOrProblem = dt.date | NotADate

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

# A time of day after the date: 10:05, 10:05:06.123, 10:05 AM, 10时05分, then an optional
# offset (Z, +08:00, +0800, UTC). Only checked, never kept.
_TIME = (
    r"(?:(?:[Tt]|\s+|(?<=[日号]))(?:(?P<ampm1>上午|下午|AM|PM)\s*)?(?P<hh>\d{1,2})(?:[:：]|时|點|点)"
    r"(?P<mi>\d{2})(?:(?:[:：](?P<ss>\d{2})(?:[.,]\d{1,9})?)|(?:分(?:(?P<ss2>\d{1,2})秒)?))?"
    r"\s*(?P<ampm2>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
)
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME)
_CHINESE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]" + _TIME)
_COMPACT = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)" + _TIME)
_YEAR_LAST = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME
)
_DAY_MONTH_NAME = re.compile(
    r"(?P<d>\d{1,2})(?:[-\s]+|\s*)(?P<mon>[A-Za-z]{3,9})\.?(?:[-\s,]+)(?P<y>\d{4}|\d{2})" + _TIME
)
_MONTH_NAME_DAY = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME
)
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")

_FORMS = "2019-04-04, 2019/4/4, 2019.4.4, 20190404 or 2019年4月4日, with or without a time"
_EXPECTED = {
    Order.MONTH_FIRST: f"{_FORMS}, or month first as 04/04/2019 or 04/04/19",
    Order.DAY_FIRST: f"{_FORMS}, or day first as 04/04/2019 or 04/04/19",
    Order.UNKNOWN: _FORMS,
}


def read_date(
    text: str, order: Order = Order.UNKNOWN, *, serial_epoch: dt.datetime | None = None
) -> DateOrProblem:
    """The day `text` names, or why it names none.

    `serial_epoch` is the workbook's date system when the cell came from an .xlsx (EXCEL_1900
    or EXCEL_1904); a bare number is then an Excel serial number.
    """
    clean = unicodedata.normalize("NFKC", text).strip()
    if not clean:
        return NotADate("is empty")
    if m := _YEAR_FIRST.fullmatch(clean) or _CHINESE.fullmatch(clean) or _COMPACT.fullmatch(clean):
        return _day(int(m["y"]), int(m["m"]), int(m["d"]), m)
    if m := _DAY_MONTH_NAME.fullmatch(clean) or _MONTH_NAME_DAY.fullmatch(clean):
        month = _MONTHS.get(m["mon"].casefold())
        if month is None:
            return NotADate(f"is not a date ({m['mon']!r} is not the name of a month)")
        year = int(m["y"]) if len(m["y"]) == 4 else two_digit_year(int(m["y"]))
        return _day(year, month, int(m["d"]), m)
    if m := _YEAR_LAST.fullmatch(clean):
        return _year_last(m, order)
    if _SERIAL.fullmatch(clean):
        return _serial(clean, serial_epoch)
    return NotADate(f"is not a date (expected {_EXPECTED[order]})")


def _year_last(m: re.Match[str], order: Order) -> DateOrProblem:
    a, b, short = int(m["a"]), int(m["b"]), len(m["y"]) == 2
    year = two_digit_year(int(m["y"])) if short else int(m["y"])
    if order is not Order.UNKNOWN:
        month, day = (a, b) if order is Order.MONTH_FIRST else (b, a)
        if month > 12 >= day:  # the other order would read: say so rather than guess
            first = "month" if order is Order.MONTH_FIRST else "day"
            return NotADate(
                f"is not a date read {first} first, as this file's dates are (there is no "
                f"month {month}); if a spreadsheet re-wrote them in the other order, save them "
                "year first (2019-04-04)"
            )
        return _day(year, month, day, m)
    if short:
        return NotADate(
            "has a two-digit year and the file does not say the order of its parts "
            "(it could be year, month or day first); write the year in four digits"
        )
    if a <= 12 and b <= 12 and a != b:
        day_first, month_first = _iso(year, b, a), _iso(year, a, b)
        return NotADate(
            f"is ambiguous: day and month are both 12 or less, so it could be {day_first} "
            f"(day first) or {month_first} (month first); write it year first, e.g. "
            f"{day_first}, or name the order in a mapping's date_format (%d/%m/%Y or %m/%d/%Y)"
        )
    if a > 12:
        return _day(year, b, a, m)  # only day first names a day
    return _day(year, a, b, m)  # month first, or both the same number


def _serial(text: str, epoch: dt.datetime | None) -> DateOrProblem:
    if epoch is None:
        return NotADate(
            "is a number, not a date: if it is an Excel serial number, a CSV file does not say "
            "whether the 1900 or the 1904 date system applies; format the column as a date in "
            "the spreadsheet before saving, or import the .xlsx workbook itself"
        )
    value = float(text)
    found = from_excel(value, epoch)
    if not isinstance(found, dt.datetime):  # 0 and below are times of day, not days
        return NotADate("is an Excel serial number of no day (below 1)")
    if value < 61 and epoch == EXCEL_1900:
        # Excel's 1900 system counts a 29 February 1900 that never was; days before it are
        # off by one and are far too early for a complaint anyway.
        return NotADate(_out_of_range(found.date()))
    return _in_range(found.date())


def _day(year: int, month: int, day: int, m: re.Match[str]) -> DateOrProblem:
    if not 1 <= month <= 12:
        return NotADate(f"is not a date (there is no month {month})")
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return NotADate(f"is not a date ({year}-{month:02d} has no day {day})")
    if problem := _time_problem(m):
        return NotADate(problem)
    return _in_range(found)


def _time_problem(m: re.Match[str]) -> str:
    if m["hh"] is None:
        return ""
    hour, minute = int(m["hh"]), int(m["mi"])
    second = int(m["ss"] or m["ss2"] or 0)
    twelve = m["ampm1"] or m["ampm2"]
    if (twelve and not 1 <= hour <= 12) or hour > 23 or minute > 59 or second > 59:
        shown = f"{hour}:{minute:02d}" + (f":{second:02d}" if second else "")
        return f"is not a date and time ({shown} is not a time of day)"
    return ""


def _in_range(day: dt.date) -> DateOrProblem:
    return day if EARLIEST <= day <= LATEST else NotADate(_out_of_range(day))


def _out_of_range(day: dt.date) -> str:
    return (
        f"is {day.isoformat()}, outside {EARLIEST.year}–{LATEST.year}: not a plausible "
        "complaint date"
    )


def _iso(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return f"{year}-{month:02d}-{day:02d}"


class DateReader:
    """One file's dates: its formats and order, each distinct cell read once.

    `formats` (strptime, from a bank's mapping) are tried first; the forms above are the
    fallback, in the order the formats imply (a format starting %d is day first).
    """

    def __init__(
        self,
        order: Order = Order.UNKNOWN,
        *,
        formats: tuple[str, ...] = (),
        serial_epoch: dt.datetime | None = None,
    ) -> None:
        self.formats = formats
        self.order = order if not formats else _order_of(formats, order)
        self.serial_epoch = serial_epoch
        self._seen: dict[str, DateOrProblem] = {}

    def read(self, text: str) -> DateOrProblem:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._read(text)
        return found

    def _read(self, text: str) -> DateOrProblem:
        for fmt in self.formats:
            try:
                return _in_range(dt.datetime.strptime(text.strip(), fmt).date())
            except ValueError:
                continue
        return read_date(text, self.order, serial_epoch=self.serial_epoch)


def _order_of(formats: tuple[str, ...], default: Order) -> Order:
    for fmt in formats:
        day, month = fmt.find("%d"), fmt.find("%m")
        year = max(fmt.find("%Y"), fmt.find("%y"))
        if -1 < day < month and year > month:
            return Order.DAY_FIRST
        if -1 < month < day and year > day:
            return Order.MONTH_FIRST
    return default
