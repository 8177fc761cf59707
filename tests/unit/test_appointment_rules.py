"""Appointment rules: the slots of a day, no-show blocks, arrival on time or
late, and the dashboard's counts (pure, no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from manyi.errors import Conflict, InvalidInput
from manyi.forecast.appointment_capacity import servable_arrivals
from manyi.forecast.erlang import service_level
from manyi.reach.domain import booking
from manyi.reach.domain.booking import Arrival
from manyi.reach.domain.slots import Rules, Timing, day_slots, in_window, slot_starts, timing

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
RULES = Rules()


@pytest.mark.parametrize("servers", [1, 2, 4, 8])
def test_servable_arrivals_keep_the_service_level(servers: int) -> None:
    arrivals = servable_arrivals(servers, 300, 600)
    load = arrivals * 300 / 1800
    assert service_level(servers, load, 300, 600) >= 0.8 - 1e-6
    # A tenth more would break it: the figure is the most, not just some.
    assert service_level(servers, load * 1.1, 300, 600) < 0.8 or load * 1.1 >= servers


def test_slots_sit_inside_opening_and_appointment_hours() -> None:
    day = dt.date(2026, 12, 1)
    starts = slot_starts(day, dt.time(9, 10), dt.time(17), SH, (dt.time(8), dt.time(16, 45)))
    local = [s.astimezone(SH).strftime("%H:%M") for s in starts]
    assert local[0] == "09:30" and local[-1] == "16:00"  # aligned after 09:10; ends by 16:45
    around_the_clock = slot_starts(day, dt.time(0), None, SH, (RULES.book_from, RULES.book_until))
    assert len(around_the_clock) == 16


def test_window_lead_time_and_horizon() -> None:
    today = NOW.astimezone(SH).date()
    assert not in_window(NOW + dt.timedelta(minutes=59), NOW, today, SH, RULES)
    assert in_window(NOW + dt.timedelta(minutes=60), NOW, today, SH, RULES)
    assert in_window(NOW + dt.timedelta(days=14), NOW, today, SH, RULES)
    assert not in_window(NOW + dt.timedelta(days=15), NOW, today, SH, RULES)


def test_a_slot_the_plan_does_not_cover_has_no_places() -> None:
    day = dt.date(2026, 12, 1)
    starts = slot_starts(day, dt.time(9), dt.time(10), SH)
    slots = day_slots(starts, {starts[0]: 1}, {starts[0]: 3}, NOW, NOW.date(), SH, RULES)
    assert [(s.capacity, s.booked, s.free, s.state) for s in slots] == [
        (4, 3, 1, "free"),
        (0, 0, 0, "full"),
    ]


def test_a_slot_says_why_it_cannot_be_booked() -> None:
    today = NOW.astimezone(SH).date()
    starts = [
        NOW - dt.timedelta(minutes=30),  # 09:30 today: started
        NOW,  # 10:00: starts now, inside the hour's lead
        NOW + dt.timedelta(minutes=30),  # 10:30: inside the lead
        NOW + dt.timedelta(minutes=60),  # 11:00: bookable, no place
        NOW + dt.timedelta(minutes=90),  # 11:30: bookable
        NOW + dt.timedelta(days=15),  # beyond the 14 days
    ]
    room = dict.fromkeys(starts, 2) | {starts[3]: 0}
    slots = day_slots(starts, room, {}, NOW, today, SH, RULES)
    assert [s.state for s in slots] == ["past", "too_soon", "too_soon", "full", "free", "too_far"]
    assert [s.timing for s in slots][:3] == [Timing.PAST, Timing.TOO_SOON, Timing.TOO_SOON]
    assert [s.free for s in slots] == [0, 0, 0, 0, 2, 0]
    no_lead = Rules(lead_minutes=0)
    assert timing(NOW, NOW, today, SH, no_lead) is Timing.OPEN  # a slot starting now, no lead


def test_no_shows_block_booking_for_a_while() -> None:
    rules = Rules(no_show_limit=3, no_show_window_days=90, block_days=30)
    three = [NOW - dt.timedelta(days=d) for d in (80, 40, 10)]
    assert booking.blocked_until(three, NOW, rules) == three[-1] + dt.timedelta(days=30)
    assert booking.blocked_until(three[1:], NOW, rules) is None  # two are not enough
    old = [NOW - dt.timedelta(days=d) for d in (120, 40, 10)]
    assert booking.blocked_until(old, NOW, rules) is None  # one is outside the window
    assert booking.blocked_until(three, NOW + dt.timedelta(days=21), rules) is None


def test_arrival_on_time_late_or_too_early() -> None:
    start = NOW + dt.timedelta(hours=1)
    with pytest.raises(Conflict):
        booking.arrival(start, start - dt.timedelta(minutes=31), RULES)
    assert booking.arrival(start, start - dt.timedelta(minutes=30), RULES) is Arrival.ON_TIME
    assert booking.arrival(start, start + dt.timedelta(minutes=15), RULES) is Arrival.ON_TIME
    assert booking.arrival(start, start + dt.timedelta(minutes=16), RULES) is Arrival.LATE


def test_the_day_counts() -> None:
    start = NOW - dt.timedelta(minutes=5)
    rows = [
        ("booked", start),  # late, within the grace
        ("booked", NOW - dt.timedelta(minutes=40)),  # missing
        ("no_show", NOW - dt.timedelta(hours=3)),  # missing
        ("checked_in", start),
        ("cancelled", start),  # not counted
        ("booked", NOW + dt.timedelta(hours=1)),  # still to come
    ]
    assert booking.day_counts(rows, NOW, RULES) == booking.DayCounts(5, 1, 1, 2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"walk_in_share": 1.0}, "walk_in_share"),
        ({"walk_in_share": -0.1}, "walk_in_share"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"late_grace_minutes": True}, "late_grace_minutes"),
        ({"book_from": dt.time(17), "book_until": dt.time(9)}, "book_until"),
    ],
)
def test_rules_refuse_nonsense(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Rules(**change)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_codes_are_bound_to_the_number() -> None:
    assert booking.code_hash("123456", "key-a") != booking.code_hash("123456", "key-b")
    assert booking.check_code_format(" 123456 ") == "123456"
    with pytest.raises(InvalidInput):
        booking.check_code_format("12345")
