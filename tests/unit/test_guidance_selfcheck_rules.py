"""The outlet head's self-check rules: the checklist, the rounds of a day by the outlet's hours
and zone, when a round is missed or late, and a submitted round's checks."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import Conflict, InvalidInput
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.domain.selfcheck import Answer, Hours, Round, Status
from manyi.supervision.domain.standards import DEFAULT_ITEMS

MONDAY = dt.date(2026, 11, 30)
UTC = dt.UTC


def at(hour: int, minute: int = 0) -> dt.datetime:
    """That Beijing time on Monday 30 November 2026, in UTC."""
    local = dt.datetime(2026, 11, 30, tzinfo=UTC) + dt.timedelta(hours=hour - 8, minutes=minute)
    return local


def test_the_checklist_names_real_standard_items_and_each_round_is_short() -> None:
    codes = {i.code for i in DEFAULT_ITEMS}
    items = rules.checklist()
    assert all(i.standard in codes for i in items if i.standard)
    assert len({i.code for i in items}) == len(items)
    for rnd in Round:
        assert 5 <= len(rules.items_of(rnd)) <= 8


def test_rounds_follow_the_outlets_hours_and_zone() -> None:
    day = rules.plan_day(MONDAY, "Asia/Shanghai", Hours(dt.time(8, 30), dt.time(16, 30)), True)
    assert [(p.round, p.due_at) for p in day] == [
        (Round.OPENING, at(8, 30)),
        (Round.MIDDAY, at(12)),
        (Round.CLOSING, at(16, 30)),
    ]
    opening = day[0]
    assert (opening.open_from, opening.missed_at) == (at(7), at(9, 30))
    # Around the clock: the bank's ordinary hours; a half day has no midday round.
    around = rules.plan_day(MONDAY, "Asia/Shanghai", Hours(), True)
    assert [p.due_at for p in around] == [at(9), at(12), at(17)]
    half = rules.plan_day(MONDAY, "Asia/Shanghai", Hours(dt.time(9), dt.time(12)), True)
    assert [p.round for p in half] == [Round.OPENING, Round.CLOSING]
    # Another zone: 09:00 in Urumqi is 03:00 UTC; a rest day has no rounds.
    west = rules.plan_day(MONDAY, "Asia/Urumqi", Hours(), True)
    assert west[0].due_at == dt.datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert rules.plan_day(MONDAY, "Asia/Shanghai", Hours(), False) == []


def test_status_is_computed_from_the_clock() -> None:
    opening = rules.plan_day(MONDAY, "Asia/Shanghai", Hours(), True)[0]
    assert rules.status(opening, None, at(7)) is Status.UPCOMING
    assert rules.status(opening, None, at(8)) is Status.OPEN
    assert rules.status(opening, None, at(9, 30)) is Status.OVERDUE
    assert rules.status(opening, None, at(10)) is Status.MISSED  # the grace is over
    assert rules.status(opening, at(9, 59), at(12)) is Status.DONE
    assert rules.status(opening, at(10, 20), at(12)) is Status.LATE


def test_a_round_is_submitted_once_within_its_own_day() -> None:
    opening = rules.plan_day(MONDAY, "Asia/Shanghai", Hours(), True)[0]
    with pytest.raises(Conflict, match="opens at"):
        rules.check_window(opening, False, at(7))
    rules.check_window(opening, False, at(23, 59))  # late, but its own day
    with pytest.raises(Conflict, match="own day"):
        rules.check_window(opening, False, at(24, 1))
    with pytest.raises(Conflict, match="already done"):
        rules.check_window(opening, True, at(8))


def answers(**changes: Answer) -> dict[str, Answer]:
    base = {i.code: Answer(i.code, True) for i in rules.items_of(Round.MIDDAY)}
    return base | changes


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"MD1": Answer("MD1", None)}, "MD1", "not answered"),
        ({"MD2": Answer("MD2", False)}, "MD2", "what is wrong"),
        ({"MD3": Answer("MD3", False, "两台故障")}, "MD3", "photo"),
        ({"MD2": Answer("MD2", True, "x" * 201)}, "MD2", "at most"),
        ({"OP1": Answer("OP1", True)}, "OP1", "no item"),
    ],
)
def test_bad_answers_are_refused_naming_the_item(
    given: dict[str, Answer], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        rules.check_answers(Round.MIDDAY, answers(**given))
    assert refused.value.field == field


def test_good_answers_keep_failures_with_their_notes() -> None:
    checked = rules.check_answers(
        Round.MIDDAY,
        answers(MD3=Answer("MD3", False, "  2号机 \n 故障 ", has_photo=True)),
    )
    failed = [c for c in checked if not c.passed]
    assert [(c.code, c.note) for c in failed] == [("MD3", "2号机 故障")]


def test_the_tally_counts_on_time_among_settled_rounds() -> None:
    tally = rules.Tally()
    for state in (Status.DONE, Status.DONE, Status.LATE, Status.MISSED, Status.OPEN):
        tally.add(state)
    assert (tally.planned, tally.missed, tally.pending, tally.on_time_pct) == (5, 1, 1, 50)
