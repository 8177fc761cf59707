"""An outlet's business day: which day a moment belongs to, and when that day begins.

Ticket numbers (A001 …), "today's" queue and the daily figures follow the outlet's
*business day*, not the calendar. Business day D runs from `starts` (local wall-clock
time, the outlet's `day_starts_at`) on calendar date D to `starts` on D + 1, and is
named after the date on which it begins. With the default 00:00 it is the calendar day.

Worked example, an outlet in Asia/Shanghai (UTC+8, no daylight saving) whose day starts
at 04:00: 23:55 on 10 March and 00:05 on 11 March both belong to business day 10 March
(a customer waiting at 23:55 is still in the queue at 00:05); 03:59 on 11 March is the
last minute of 10 March and 04:00 begins 11 March, where the numbers restart at A001.

Time zones
----------
A day begins at `starts` on its date as `zoneinfo` reads that wall time (fold=0, as in
`complaints.domain.deadlines`): where daylight saving repeats the hour, its first
occurrence; where the clock jumps over it, the offset before the jump, so a start at
the very beginning of a gap (America/Santiago's skipped midnight) is the instant the
new day begins. A day is therefore 23 or 25 hours long on a change-over date.

Which day a moment belongs to is then settled on instants, never on the wall clock
alone: in the hour that autumn repeats, wall times go backwards, and reading them
naively would put a moment back into the day before. So the days follow each other
without overlap or hole, whatever the zone and the start.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final
from zoneinfo import ZoneInfo

from manyi.errors import InvalidInput

ONE_DAY = dt.timedelta(days=1)
LATEST_START = dt.time(12, 0)  # a day starting later would be named after its smaller part


# Every ticket operation asks which day it is; a bank has one entry per outlet zone,
# start and day, so the cache stays small and the answer costs a dictionary lookup.
@functools.lru_cache(maxsize=4096)
def day_start(day: dt.date, zone: ZoneInfo, starts: dt.time) -> dt.datetime:
    """The instant business day `day` begins, as an aware UTC time."""
    return dt.datetime.combine(day, starts, zone).astimezone(dt.UTC)


# The last day found for each zone and start, with the instants it runs between: a moment
# inside them is that day (two comparisons). A tuple replaced whole, so threads share it safely.
_LAST_DAY: dict[tuple[ZoneInfo, dt.time], tuple[dt.datetime, dt.datetime, dt.date]] = {}


def business_day(at: dt.datetime, zone: ZoneInfo, starts: dt.time) -> dt.date:
    """The business day the aware instant `at` belongs to."""
    return _bounds(at, zone, starts)[2]


def business_day_end(at: dt.datetime, zone: ZoneInfo, starts: dt.time) -> dt.datetime:
    """When the business day of the aware instant `at` ends, as an aware UTC time."""
    return _bounds(at, zone, starts)[1]


def _bounds(
    at: dt.datetime, zone: ZoneInfo, starts: dt.time
) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """The business day of `at` and the instants it runs between (start, end, day). Kept for
    the last day asked: the times of one day, asked about again and again, cost two
    comparisons."""
    last = _LAST_DAY.get((zone, starts))
    if last is not None and last[0] <= at < last[1]:
        return last
    wall = at.astimezone(zone).replace(tzinfo=None)
    since_start = dt.timedelta(hours=starts.hour, minutes=starts.minute, seconds=starts.second)
    day = (wall - since_start).date()
    if at < day_start(day, zone, starts):
        day -= ONE_DAY
    elif at >= day_start(day + ONE_DAY, zone, starts):
        day += ONE_DAY
    if len(_LAST_DAY) > 4096:  # more zones and starts than any bank has: start again
        _LAST_DAY.clear()
    bounds = _LAST_DAY[zone, starts] = (
        day_start(day, zone, starts),
        day_start(day + ONE_DAY, zone, starts),
        day,
    )
    return bounds


# --- which days the outlet opens ------------------------------------------------------

ALL_WEEKDAYS: Final = frozenset(range(1, 8))  # ISO: 1 Monday … 7 Sunday
WORKING_WEEK: Final = frozenset(range(1, 6))  # the default: Monday to Friday


def check_open_days(weekdays: frozenset[int]) -> None:
    if not weekdays or not weekdays <= ALL_WEEKDAYS:
        raise InvalidInput("choose at least one day of the week the outlet opens", "open_weekdays")


def open_on(
    day: dt.date,
    weekdays: frozenset[int],
    on_holidays: bool,
    bank_works: bool,
    holiday: bool,
) -> bool:
    """Whether an outlet opens on `day`, from its week (`weekdays`) and the bank's calendar.

    - a public holiday (`holiday`: a day the bank does not work that the calendar names, such
      as 国庆节 on a Tuesday): open only if the outlet opens on holidays (节假日照常营业) and on
      that day of the week;
    - a make-up working day (调休: a weekend day the bank works): open, as the bank is;
    - any other day: open on the outlet's days of the week.

    With the default week (Monday to Friday) and holidays closed, these are exactly the bank's
    working days.
    """
    if holiday and not bank_works:
        return on_holidays and day.isoweekday() in weekdays
    if bank_works and day.isoweekday() >= 6:
        return True
    return day.isoweekday() in weekdays
