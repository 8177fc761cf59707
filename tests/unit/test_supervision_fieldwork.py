"""Plans' periods and spreading, and the field rules of mystery shopping and remote checks
(supervision.domain.plans, supervision.domain.fieldwork)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.complaints.domain.workcal import WeekdayCalendar, calendar_for
from manyi.errors import InvalidInput
from manyi.supervision.domain import fieldwork as fw
from manyi.supervision.domain import plans as p
from manyi.supervision.domain.standards import DEFAULT_ITEMS

BJ = dt.timezone(dt.timedelta(hours=8))


def test_periods_parse_and_bad_ones_are_named() -> None:
    assert p.parse_period("2027-q1") == p.Period(
        "2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31)
    )
    assert p.parse_period("2028-02").ends_on == dt.date(2028, 2, 29)
    assert p.parse_period("2027").ends_on == dt.date(2027, 12, 31)
    for bad in ("2027-Q5", "2027-13", "27-Q1", "", "1999"):
        with pytest.raises(InvalidInput) as caught:
            p.parse_period(bad)
        assert caught.value.field == "period"


def test_visits_are_spread_over_the_working_days_left() -> None:
    quarter = p.parse_period("2027-Q1")
    weekdays = WeekdayCalendar()
    days = p.working_days(weekdays, quarter, dt.date(2026, 11, 30))
    planned = p.spread(weekdays, quarter, [10, 20, 30], 1, dt.date(2026, 11, 30))
    n = len(days)
    assert planned == [(10, days[n // 6]), (20, days[n // 2]), (30, days[5 * n // 6])]
    # Mid-quarter, only what is left counts; New Year's Day is off on the mainland calendar.
    late = p.spread(calendar_for("cn"), quarter, [1], 2, dt.date(2027, 3, 29))
    assert [d for _o, d in late] == [dt.date(2027, 3, 29), dt.date(2027, 3, 31)]
    q1_2026 = p.parse_period("2026-Q1")  # a year the mainland calendar knows
    known = p.working_days(calendar_for("cn"), q1_2026, q1_2026.starts_on)
    assert dt.date(2026, 1, 1) not in known and dt.date(2026, 1, 2) not in known
    with pytest.raises(InvalidInput):
        p.spread(weekdays, quarter, [1], 1, dt.date(2027, 4, 1))  # nothing left
    with pytest.raises(InvalidInput):
        p.spread(weekdays, quarter, [], 1, dt.date(2027, 1, 1))  # no outlet
    with pytest.raises(InvalidInput):
        p.spread(weekdays, quarter, [1], p.MAX_VISITS_PER_OUTLET + 1, dt.date(2027, 1, 1))


def test_the_shopper_and_the_remote_reviewer_judge_no_photo_item() -> None:
    shopper = fw.judged_items(DEFAULT_ITEMS, fw.CUSTOMER_GROUPS)
    remote = fw.judged_items(DEFAULT_ITEMS, fw.REMOTE_GROUPS)
    assert not any(i.photo_required for i in shopper + remote)
    assert {i.group for i in shopper} <= set(fw.CUSTOMER_GROUPS)
    assert "A2" in {i.code for i in shopper} and "A2" not in {i.code for i in remote}
    sent = {i.code: ("passed", "") for i in shopper}
    card = fw.scorecard_answers(DEFAULT_ITEMS, shopper, sent, "not judged")
    assert set(card) == {i.code for i in DEFAULT_ITEMS}
    assert card["D1"] == ("na", "not judged") and card["A2"] == ("passed", "")
    for broken in ({"A2": ("maybe", "")}, {"A2": ("", "")}, {"A2": ("failed", "x" * 1001)}):
        with pytest.raises(InvalidInput) as caught:
            fw.scorecard_answers(DEFAULT_ITEMS, shopper, sent | broken, "")
        assert caught.value.params["code"] == "A2"


def test_scenario_steps_pair_up_line_by_line() -> None:
    steps = fw.parse_steps("取号\n\n咨询\n", "Take a ticket\nAsk")
    assert [s.text("en") for s in steps] == ["Take a ticket", "Ask"]
    assert [s.text("zh-CN") for s in fw.parse_steps("取号", "")] == ["取号"]
    for zh, en in (("", ""), ("一\n二", "one"), ("\n".join("步" * 21), ""), ("长" * 301, "")):
        with pytest.raises(InvalidInput):
            fw.parse_steps(zh, en)


def test_the_remote_window_is_drawn_from_the_seed_among_busy_ones() -> None:
    day = dt.date(2026, 11, 30)
    at = [dt.datetime(2026, 11, 30, h, m, tzinfo=BJ) for h, m in
          ((9, 1), (9, 5), (9, 20), (10, 40), (11, 2), (11, 3), (11, 10), (15, 0))]  # fmt: skip
    window = fw.pick_window("S", 7, day, at)
    assert window is not None and window.drawn and window.tickets >= fw.MIN_TICKETS
    assert window == fw.pick_window("S", 7, day, list(reversed(at)))
    starts = {fw.pick_window(f"s{k}", 7, day, at).start.strftime("%H:%M") for k in range(40)}
    assert starts <= {"08:45", "09:00", "10:45", "11:00"} and len(starts) > 1
    quiet = fw.pick_window("S", 7, day, [at[0], at[-1]])
    assert quiet is not None and not quiet.drawn and quiet.tickets == 1
    assert fw.pick_window("S", 7, day, []) is None
