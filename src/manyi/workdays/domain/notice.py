"""A year's holidays and make-up workdays as head office types them from the State Council's
notice, one line per holiday or make-up day, checked line by line.

Line format (blank lines and lines starting with # are ignored)::

    2027-02-05..2027-02-13 春节          a run of holidays (放假), both ends included
    2027-06-09 端午节                    a single holiday
    2027-02-20 上班 春节                 a make-up workday (调休上班) for 春节

A kind word between the dates and the name says which: 休, 放假 or holiday (the default), and
班, 上班 or workday. The name is the holiday the line belongs to (up to 40 characters).

Checks, each reported with its line number: a date is YYYY-MM-DD and falls in the year being
entered or in the December before it (a notice may move a late-December day, as 2019's did
with 2018-12-29); a run ends on or after its start and spans at most 31 days; a make-up workday
is a Saturday or Sunday (a weekday is a workday already, so a weekday there is a typing slip);
no date is listed twice; every line has a name. Nothing is taken unless every line passes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from manyi.workdays.domain.calendar import DayKind, EnteredDay

__all__ = ["FIRST_YEAR", "LAST_YEAR", "NoticeError", "Problem", "format_days", "parse_notice"]

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_RUN_DAYS = 31
MAX_NAME = 40
MAX_LINES = 200

_KIND_WORDS = {
    "休": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}
_DATES = re.compile(r"^(\S+?)(?:\.\.(\S+))?$")


@dataclass(frozen=True)
class Problem:
    """One refused line: `message` is an English template filled from `params`."""

    line: int
    message: str
    params: dict[str, object] = field(default_factory=dict)

    def text(self) -> str:
        return self.message.format(**self.params)


class NoticeError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"line {p.line}: {p.text()}" for p in problems))


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _in_notice(year: int, day: dt.date) -> bool:
    return day.year == year or (day.year == year - 1 and day.month == 12)


def _parse_line(year: int, number: int, line: str) -> tuple[list[EnteredDay], list[Problem]]:
    """The days one line lists, or what is wrong with it."""
    words = line.split()
    match = _DATES.match(words[0])
    first_text, last_text = (match.group(1), match.group(2)) if match else (words[0], None)
    rest = words[1:]
    kind = DayKind.HOLIDAY
    if rest and rest[0].lower() in _KIND_WORDS:
        kind = _KIND_WORDS[rest[0].lower()]
        rest = rest[1:]
    name = " ".join(rest)
    problems: list[Problem] = []
    first = _date(first_text)
    last = first if last_text is None else _date(last_text)
    for text, value in ((first_text, first), (last_text, last)):
        if text is not None and value is None:
            problems.append(Problem(number, "{text} is not a date (YYYY-MM-DD)", {"text": text}))
    if not name:
        problems.append(Problem(number, "name the holiday, e.g. 春节"))
    elif len(name) > MAX_NAME:
        problems.append(Problem(number, "the name is longer than {n} characters", {"n": MAX_NAME}))
    if first is None or last is None or problems:
        return [], problems
    if last < first:
        return [], [Problem(number, "the run ends before it starts")]
    if (last - first).days >= MAX_RUN_DAYS:
        return [], [Problem(number, "a run spans at most {n} days", {"n": MAX_RUN_DAYS})]
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    outside = [d for d in days if not _in_notice(year, d)]
    if outside:
        return [], [
            Problem(
                number,
                "{day} is not in the {year} notice (its year, or the December before)",
                {"day": outside[0].isoformat(), "year": year},
            )
        ]
    if kind is DayKind.WORKDAY:
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            return [], [
                Problem(
                    number,
                    "{day} is a weekday: a make-up workday is a Saturday or Sunday",
                    {"day": weekdays[0].isoformat()},
                )
            ]
    return [EnteredDay(d, kind, name, year) for d in days], []


def parse_notice(year: int, text: str) -> list[EnteredDay]:
    """The holidays and make-up workdays `text` lists for `year`, in date order.

    Raises NoticeError with every problem found (line 0: the year or the text as a whole).
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NoticeError(
            [
                Problem(
                    0,
                    "the year is from {first} to {last}",
                    {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
            ]
        )
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise NoticeError([Problem(0, "at most {n} lines", {"n": MAX_LINES})])
    seen: dict[dt.date, int] = {}
    days: list[EnteredDay] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found, wrong = _parse_line(year, number, line)
        problems += wrong
        for entry in found:
            if entry.day in seen:
                problems.append(
                    Problem(
                        number,
                        "{day} is already listed on line {other}",
                        {"day": entry.day.isoformat(), "other": seen[entry.day]},
                    )
                )
                break
            seen[entry.day] = number
            days.append(entry)
    if problems:
        raise NoticeError(problems)
    if not days:
        raise NoticeError([Problem(0, "enter at least one holiday")])
    return sorted(days, key=lambda d: d.day)


def format_days(days: list[EnteredDay]) -> str:
    """Days back as lines of the notice format, runs of consecutive holidays of one name joined
    (what the page shows in the editor, and what `parse_notice` reads back to the same days)."""
    lines: list[str] = []
    ordered = sorted(days, key=lambda d: d.day)
    i = 0
    while i < len(ordered):
        start = ordered[i]
        end = start
        while (
            i + 1 < len(ordered)
            and ordered[i + 1].kind is start.kind is DayKind.HOLIDAY
            and ordered[i + 1].name == start.name
            and ordered[i + 1].day == end.day + dt.timedelta(days=1)
        ):
            i += 1
            end = ordered[i]
        dates = start.day.isoformat()
        if end.day != start.day:
            dates += f"..{end.day.isoformat()}"
        word = " 上班" if start.kind is DayKind.WORKDAY else ""
        lines.append(f"{dates}{word} {start.name}")
        i += 1
    return "\n".join(lines)
