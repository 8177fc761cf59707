"""The outlet's business day: which day a moment belongs to, across midnight and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from manyi.errors import InvalidInput
from manyi.lobby.domain import days
from manyi.lobby.domain.days import business_day, day_start
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterKind, Policy, Service

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
FOUR = dt.time(4, 0)


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc]


def test_in_shanghai_23_55_and_00_05_share_a_business_day_that_starts_at_04_00() -> None:
    late = local(SHANGHAI, 2026, 3, 10, 23, 55)
    after_midnight = local(SHANGHAI, 2026, 3, 11, 0, 5)
    assert business_day(late, SHANGHAI, FOUR) == dt.date(2026, 3, 10)
    assert business_day(after_midnight, SHANGHAI, FOUR) == dt.date(2026, 3, 10)
    assert business_day(local(SHANGHAI, 2026, 3, 11, 3, 59, 59), SHANGHAI, FOUR) == dt.date(
        2026, 3, 10
    )
    assert business_day(local(SHANGHAI, 2026, 3, 11, 4, 0), SHANGHAI, FOUR) == dt.date(2026, 3, 11)
    # 04:00 in Shanghai is 20:00 UTC the evening before.
    assert day_start(dt.date(2026, 3, 11), SHANGHAI, FOUR) == dt.datetime(
        2026, 3, 10, 20, tzinfo=UTC
    )


def test_with_the_default_start_the_business_day_is_the_calendar_day() -> None:
    midnight = dt.time(0)
    assert business_day(local(SHANGHAI, 2026, 3, 10, 23, 59), SHANGHAI, midnight) == dt.date(
        2026, 3, 10
    )
    assert business_day(local(SHANGHAI, 2026, 3, 11, 0, 0), SHANGHAI, midnight) == dt.date(
        2026, 3, 11
    )
    # The same instant written in UTC: the outlet's zone decides, not the caller's.
    utc = dt.datetime(2026, 3, 10, 16, 5, tzinfo=UTC)  # 00:05 on the 11th in Shanghai
    assert business_day(utc, SHANGHAI, midnight) == dt.date(2026, 3, 11)


def test_in_london_the_spring_business_day_has_23_hours_and_the_autumn_one_25() -> None:
    # Clocks go forward at 01:00 GMT on 29 March 2026 and back at 02:00 BST on 25 October.
    spring = day_start(dt.date(2026, 3, 29), LONDON, FOUR) - day_start(
        dt.date(2026, 3, 28), LONDON, FOUR
    )
    autumn = day_start(dt.date(2026, 10, 25), LONDON, FOUR) - day_start(
        dt.date(2026, 10, 24), LONDON, FOUR
    )
    assert spring == dt.timedelta(hours=23)
    assert autumn == dt.timedelta(hours=25)
    # 04:00 BST is 03:00 UTC; 04:00 GMT is 04:00 UTC.
    assert day_start(dt.date(2026, 3, 29), LONDON, FOUR) == dt.datetime(2026, 3, 29, 3, tzinfo=UTC)
    assert day_start(dt.date(2026, 10, 25), LONDON, FOUR) == dt.datetime(
        2026, 10, 25, 4, tzinfo=UTC
    )
    # The night of the change belongs to the evening before, on both sides of the jump.
    assert business_day(local(LONDON, 2026, 3, 29, 0, 30), LONDON, FOUR) == dt.date(2026, 3, 28)
    assert business_day(local(LONDON, 2026, 3, 29, 3, 30), LONDON, FOUR) == dt.date(2026, 3, 28)
    assert business_day(local(LONDON, 2026, 10, 25, 1, 30, fold=1), LONDON, FOUR) == dt.date(
        2026, 10, 24
    )


def test_a_start_in_the_repeated_hour_begins_the_day_once() -> None:
    # 01:30 happens twice in London on 25 October 2026: the day begins at the first.
    starts = dt.time(1, 30)
    first = local(LONDON, 2026, 10, 25, 1, 30, fold=0)  # 00:30 UTC
    assert day_start(dt.date(2026, 10, 25), LONDON, starts) == first.astimezone(UTC)
    # 01:10 GMT comes after it, although the wall clock reads earlier: still the new day.
    # (Compared in UTC: two times that share a ZoneInfo compare by their wall clocks.)
    second_hour = local(LONDON, 2026, 10, 25, 1, 10, fold=1)
    assert second_hour.astimezone(UTC) > first.astimezone(UTC)
    assert business_day(second_hour, LONDON, starts) == dt.date(2026, 10, 25)
    assert business_day(first - dt.timedelta(seconds=1), LONDON, starts) == dt.date(2026, 10, 24)


def test_a_start_the_clock_skips_is_read_as_zoneinfo_reads_it() -> None:
    # America/Santiago jumps from 24:00 on 5 Sep 2026 to 01:00: the day begins with the jump.
    santiago = ZoneInfo("America/Santiago")
    begins = day_start(dt.date(2026, 9, 6), santiago, dt.time(0))
    assert begins == dt.datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert business_day(begins - dt.timedelta(seconds=1), santiago, dt.time(0)) == dt.date(
        2026, 9, 5
    )
    assert business_day(begins, santiago, dt.time(0)) == dt.date(2026, 9, 6)
    # London skips 01:00-02:00 on 29 March 2026: a 01:30 start is read at the winter
    # offset, i.e. 02:30 BST.
    assert day_start(dt.date(2026, 3, 29), LONDON, dt.time(1, 30)) == dt.datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "starts", "first"),
    [
        (LONDON, FOUR, dt.datetime(2026, 3, 27, tzinfo=UTC)),
        (LONDON, dt.time(1, 30), dt.datetime(2026, 3, 27, tzinfo=UTC)),
        (LONDON, dt.time(1, 30), dt.datetime(2026, 10, 23, tzinfo=UTC)),
        (LONDON, dt.time(0), dt.datetime(2026, 10, 23, tzinfo=UTC)),
        (ZoneInfo("America/Santiago"), dt.time(0), dt.datetime(2026, 9, 3, tzinfo=UTC)),
        (ZoneInfo("America/Santiago"), dt.time(0), dt.datetime(2026, 4, 2, tzinfo=UTC)),
        (SHANGHAI, FOUR, dt.datetime(2026, 3, 9, tzinfo=UTC)),
    ],
)
def test_business_days_follow_each_other_without_overlap_or_hole(
    zone: ZoneInfo, starts: dt.time, first: dt.datetime
) -> None:
    """Every five minutes over four days around a clock change: each moment lies in its
    day, and the day changes exactly when the next one begins."""
    previous = business_day(first, zone, starts)
    for step in range(4 * 24 * 12):
        at = first + dt.timedelta(minutes=5 * step)
        day = business_day(at, zone, starts)
        assert (
            day_start(day, zone, starts) <= at < day_start(day + dt.timedelta(days=1), zone, starts)
        )
        assert day in (previous, previous + dt.timedelta(days=1)), at
        previous = day


# --- the outlet's policy --------------------------------------------------------------


def test_the_policy_checks_where_the_business_day_may_start() -> None:
    assert Policy(opens_at=dt.time(0), closes_at=None, day_starts_at=FOUR).open_around_the_clock
    assert Policy(opens_at=dt.time(9), closes_at=dt.time(17), day_starts_at=FOUR)
    assert Policy(opens_at=dt.time(9), closes_at=None, day_starts_at=dt.time(9))
    with pytest.raises(InvalidInput) as late:
        Policy(opens_at=dt.time(0), closes_at=None, day_starts_at=dt.time(12))
    assert late.value.field == "day_starts_at"
    # An outlet that closes for the night keeps its opening hours in one business day.
    with pytest.raises(InvalidInput) as inside:
        Policy(opens_at=dt.time(9), closes_at=dt.time(17), day_starts_at=dt.time(10))
    assert inside.value.field == "day_starts_at"


def test_at_an_outlet_open_around_the_clock_the_queue_spans_the_change_of_day() -> None:
    always = Policy(opens_at=dt.time(0), closes_at=None, day_starts_at=FOUR)
    office = Policy(opens_at=dt.time(9), closes_at=None)
    at = local(SHANGHAI, 2026, 3, 11, 4, 5)  # five minutes into business day 11 March
    assert always.business_day(at) == dt.date(2026, 3, 11)
    assert always.first_queue_day(at) == dt.date(2026, 3, 10)
    assert office.first_queue_day(at) == dt.date(2026, 3, 11)
    assert always.business_day_start(at) == local(SHANGHAI, 2026, 3, 11, 4, 0)
    assert always.business_day_end(at) == local(SHANGHAI, 2026, 3, 12, 4, 0)
    issued = local(SHANGHAI, 2026, 3, 11, 3, 55)
    assert always.ticket_valid_until(issued) == local(SHANGHAI, 2026, 3, 12, 4, 0)
    assert office.ticket_valid_until(issued) == local(SHANGHAI, 2026, 3, 12, 0, 0)
    # Asking when a ticket expires keeps the bounds of the ticket's own day for the next
    # question about it (issue 22: it used to replace them with the next day's every time).
    always.business_day(at)
    always.ticket_valid_until(at)
    assert days._LAST_DAY[SHANGHAI, FOUR][2] == dt.date(2026, 3, 11)


def test_the_in_memory_lobby_restarts_numbers_when_the_business_day_starts() -> None:
    lobby = Lobby.of(
        [Service("DEP", "存款", "A", 300)],
        [Counter(1, 1, CounterKind.REGULAR, ("DEP",))],
        policy=Policy(opens_at=dt.time(0), closes_at=None, day_starts_at=FOUR),
    )
    numbers = [
        lobby.issue("DEP", local(SHANGHAI, 2026, 3, 10, 23, 55)).number,
        lobby.issue("DEP", local(SHANGHAI, 2026, 3, 11, 0, 5)).number,
        lobby.issue("DEP", local(SHANGHAI, 2026, 3, 11, 3, 59)).number,
        lobby.issue("DEP", local(SHANGHAI, 2026, 3, 11, 4, 0)).number,
    ]
    assert numbers == ["A001", "A002", "A003", "A001"]
