"""Lobby model rules: ticket numbers and the outlet's day (local midnight, daylight saving,
opening hours, a closed outlet issuing nothing)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import Conflict
from manyi.lobby.domain.engine import Lobby
from manyi.lobby.domain.model import Counter, CounterKind, Policy, format_number
from tests.lobby_model_helpers import UTC, service

# --- numbers and the outlet's day -----------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "number"),
    [(1, "A001"), (12, "A012"), (999, "A999"), (1000, "A1000"), (12345, "A12345")],
)
def test_format_number(seq: int, number: str) -> None:
    assert format_number("A", seq) == number


def test_business_day_and_its_end_across_shanghai_midnight() -> None:
    p = Policy()
    before = dt.datetime(2026, 3, 10, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    midnight = dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 00:00 on the 11th
    after = dt.datetime(2026, 3, 10, 16, 1, tzinfo=UTC)
    assert p.business_day(before) == dt.date(2026, 3, 10)
    assert p.business_day(midnight) == dt.date(2026, 3, 11)
    assert p.business_day(after) == dt.date(2026, 3, 11)
    assert p.business_day_end(before) == midnight
    assert p.business_day_end(midnight) == dt.datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    assert p.business_day_end(after) == dt.datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    assert p.business_day_end(before).utcoffset() == dt.timedelta(0)
    # The same instant expressed in another offset is the same outlet day.
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert p.business_day(before.astimezone(plus8)) == dt.date(2026, 3, 10)


def test_day_end_on_a_daylight_saving_day() -> None:
    p = Policy(timezone="Europe/Berlin")
    # 29 March 2026 has 23 hours in Berlin: midnight CET is 23:00 UTC, the next midnight
    # (CEST) is 22:00 UTC.
    assert p.business_day_end(dt.datetime(2026, 3, 28, 22, 30, tzinfo=UTC)) == dt.datetime(
        2026, 3, 28, 23, 0, tzinfo=UTC
    )
    assert p.business_day_end(dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 3, 29, 22, 0, tzinfo=UTC
    )


def test_numbers_reset_at_the_outlets_local_midnight() -> None:
    lobby = Lobby.of(
        [service(), service(code="LOAN", prefix="B", name_zh="贷款")],
        [Counter(1, 1, CounterKind.REGULAR, ("DEP", "LOAN"))],
    )
    day = dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    numbers = [lobby.issue("DEP", day).number for _ in range(3)]
    late = lobby.issue("DEP", dt.datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    loan = lobby.issue("LOAN", dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))
    # Same UTC date, but past midnight in Shanghai: a new day, a new series.
    fresh = lobby.issue("DEP", dt.datetime(2026, 3, 10, 16, 1, tzinfo=UTC))
    fresh_loan = lobby.issue("LOAN", dt.datetime(2026, 3, 10, 16, 2, tzinfo=UTC))
    second = lobby.issue("DEP", dt.datetime(2026, 3, 10, 16, 3, tzinfo=UTC))
    assert numbers == ["A001", "A002", "A003"]
    assert late.number == "A004"
    assert loan.number == "B001"
    assert fresh.number == "A001"
    assert fresh_loan.number == "B001"
    assert second.number == "A002"
    # Ids keep counting: numbers repeat across days, tickets do not.
    assert len({t.id for t in lobby.tickets.values()}) == len(lobby.tickets)


def test_is_open_follows_local_opening_hours() -> None:
    p = Policy(opens_at=dt.time(8, 30), closes_at=dt.time(17, 0))
    assert not p.is_open(dt.datetime(2026, 3, 10, 0, 29, 59, tzinfo=UTC))  # 08:29:59
    assert p.is_open(dt.datetime(2026, 3, 10, 0, 30, tzinfo=UTC))  # 08:30
    assert p.is_open(dt.datetime(2026, 3, 10, 8, 59, 59, tzinfo=UTC))  # 16:59:59
    assert not p.is_open(dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))  # 17:00
    assert not p.is_open(dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # 23:00
    until_midnight = Policy(opens_at=dt.time(9, 0))
    assert until_midnight.is_open(dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))
    assert not until_midnight.is_open(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    always = Policy()
    assert always.is_open(dt.datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    assert always.is_open(dt.datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC))


def test_closed_outlet_issues_nothing_and_uses_no_number() -> None:
    lobby = Lobby.of(
        [service()],
        [Counter(1, 1, CounterKind.REGULAR, ("DEP",))],
        policy=Policy(opens_at=dt.time(8, 30), closes_at=dt.time(17, 0)),
    )
    with pytest.raises(Conflict) as info:
        lobby.issue("DEP", dt.datetime(2026, 3, 10, 0, 0, tzinfo=UTC))  # 08:00
    assert info.value.error_code == "outlet_closed"
    assert lobby.tickets == {} and lobby.events == []
    assert lobby.issue("DEP", dt.datetime(2026, 3, 10, 0, 30, tzinfo=UTC)).number == "A001"
