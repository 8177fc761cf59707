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
from zoneinfo import ZoneInfo

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
