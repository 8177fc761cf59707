"""The business day per outlet, against a real database (SQLite, and PostgreSQL when set).

A customer waiting at 23:55 at an outlet open across midnight is still called at 00:05;
numbers restart when the outlet's business day starts, not at midnight; an outlet that
closes for the night still sends yesterday's leftovers home. All times are fixed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.lobby import counters, layouts, queries, service, store
from manyi.lobby.domain.model import TicketState
from manyi.lobby.tables import LobbyCounter, LobbyEventRow, LobbyTicket, QueueTally
from manyi.lobby.web import config_api
from manyi.org.tables import Unit
from tests.conftest import PASSWORD, Bank
from tests.lobby_helpers import configure, operator
from tests.web_helpers import csrf_of, make_client, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the test bank's outlets use the default zone
MIN = dt.timedelta(minutes=1)
FOUR = dt.time(4)


def at(month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """A fixed local time in Beijing in 2026, as UTC (as the app passes it)."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def issue(db: Database, when: dt.datetime, code: str = "A") -> service.Issued:
    with db.session() as session:
        return service.issue_ticket(session, operator(session, "admin"), "OUT-A", code, when)


def open_counter(db: Database, when: dt.datetime, number: int = 1) -> int:
    """Sign teller.a on; returns how many leftover tickets the sign-on sent home."""
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", number, when)
        expired = session.scalar(
            select(LobbyEventRow.data)
            .where(LobbyEventRow.kind == "counter_opened")
            .order_by(LobbyEventRow.id.desc())
            .limit(1)
        )
        assert expired is not None
        return int(expired["expired"])


def call(db: Database, when: dt.datetime, number: int = 1) -> str | None:
    with db.session() as session:
        result = counters.call_next(session, operator(session, "teller.a"), "OUT-A", number, when)
        return result.ticket.number if result.ticket is not None else None


def complete(db: Database, when: dt.datetime, number: int = 1) -> None:
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.start(session, teller, "OUT-A", number, when)
        counters.complete(session, teller, "OUT-A", number, when + 3 * MIN)


def out_a(session: Session) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == "OUT-A"))
    assert unit is not None
    return unit


def days_and_numbers(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(LobbyTicket.local_day, LobbyTicket.number).order_by(LobbyTicket.id)
        ).all()
    return [(day.isoformat(), number) for day, number in rows]


@pytest.fixture
def around_the_clock(db: Database, bank: Bank) -> Database:
    """OUT-A open around the clock, its business day starting at 04:00 like the demo's."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None, day_starts_at=FOUR)
    return db


@pytest.mark.parametrize(
    ("day_starts_at", "next_number", "valid_until"),
    [(FOUR, "A002", at(12, 2, 4, 0)), (dt.time(0), "A001", at(12, 2, 0, 0))],
)
def test_a_customer_waiting_at_23_55_is_called_at_00_05(
    db: Database, bank: Bank, day_starts_at: dt.time, next_number: str, valid_until: dt.datetime
) -> None:
    """At an outlet open around the clock, whether its business day starts at 04:00 (the
    demo's) or at midnight (the default): the queue does not break at the change of day."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None, day_starts_at=day_starts_at)
    assert open_counter(db, at(11, 30, 22, 0)) == 0
    late = issue(db, at(11, 30, 23, 55))
    assert late.ticket.number == "A001"
    # In the queue until the end of the business day after its own, if nobody called it.
    assert late.valid_until == valid_until
    assert call(db, at(12, 1, 0, 5)) == "A001"
    complete(db, at(12, 1, 0, 6))
    with db.session() as session:
        row = session.get_one(LobbyTicket, late.ticket.id)
        assert (row.state, row.outcome) == (TicketState.FINISHED.value, "served")
    # From 04:00 numbering goes on past midnight; from midnight it starts again.
    assert issue(db, at(12, 1, 0, 10)).ticket.number == next_number


def test_numbers_restart_when_the_business_day_starts_not_at_midnight(
    around_the_clock: Database,
) -> None:
    db = around_the_clock
    for when in (
        at(11, 30, 23, 59),
        at(12, 1, 0, 1),
        at(12, 1, 3, 59),
        at(12, 1, 4, 0),
        at(12, 1, 4, 1),
    ):
        issue(db, when)
    assert days_and_numbers(db) == [
        ("2026-11-30", "A001"),
        ("2026-11-30", "A002"),
        ("2026-11-30", "A003"),
        ("2026-12-01", "A001"),
        ("2026-12-01", "A002"),
    ]


def test_the_queue_spans_the_start_of_the_business_day(around_the_clock: Database) -> None:
    db = around_the_clock
    issue(db, at(11, 30, 3, 0))  # two business days back: a leftover, sent home at sign-on
    issue(db, at(12, 1, 3, 55))  # business day 30 November, A001
    issue(db, at(12, 1, 4, 1))  # business day 1 December, A001 again
    assert open_counter(db, at(12, 1, 4, 2)) == 1
    with db.session() as session:
        snap = queries.snapshot(session, out_a(session), at(12, 1, 4, 3))
        assert sorted(t.issued_at for t in snap.waiting) == [
            at(12, 1, 3, 55),
            at(12, 1, 4, 1),
        ]
        # The day's figures count the new business day only.
        assert snap.today["issued"] == 1
    assert call(db, at(12, 1, 4, 5)) == "A001"
    complete(db, at(12, 1, 4, 6))
    assert call(db, at(12, 1, 4, 10)) == "A001"
    with db.session() as session:
        called = session.scalars(
            select(LobbyTicket.local_day)
            .where(LobbyTicket.first_called_at.is_not(None))
            .order_by(LobbyTicket.first_called_at)
        ).all()
    assert called == [dt.date(2026, 11, 30), dt.date(2026, 12, 1)]  # the older one first


def test_the_queue_tally_counts_each_business_day_and_forgets_the_spent_ones(
    around_the_clock: Database,
) -> None:
    """Issuing reads how many wait from the tally the triggers keep (migration 0058): per
    business day, so yesterday's leftovers are not counted, and dropped once sent home."""
    db = around_the_clock
    issue(db, at(11, 30, 3, 0))  # business day 29 November: a leftover
    issue(db, at(12, 1, 3, 55))  # business day 30 November
    issue(db, at(12, 1, 4, 1), "B")  # business day 1 December
    nov_29, nov_30 = dt.date(2026, 11, 29), dt.date(2026, 11, 30)
    with db.session() as session:
        outlet_id = out_a(session).id
        assert store.waiting_counts(session, outlet_id, nov_30) == {"A": 1, "B": 1}
        assert store.waiting_counts(session, outlet_id, nov_29) == {"A": 2, "B": 1}
    assert open_counter(db, at(12, 1, 4, 2)) == 1  # sends the leftover home
    assert call(db, at(12, 1, 4, 5)) == "A001"
    with db.session() as session:
        assert store.waiting_counts(session, outlet_id, nov_30) == {"B": 1}
        counter_id = session.scalar(
            select(LobbyCounter.id).where(
                LobbyCounter.outlet_id == outlet_id, LobbyCounter.number == 1
            )
        )
        rows = {
            (r.local_day, r.service_code, r.shard): r.n
            for r in session.scalars(select(QueueTally).where(QueueTally.outlet_id == outlet_id))
        }
    # The issue counted on the shared row, the call on the counter's own; 29 November is gone.
    december = dt.date(2026, 12, 1)
    assert rows == {(nov_30, "A", 0): 1, (nov_30, "A", counter_id): -1, (december, "B", 0): 1}


def test_an_outlet_that_closes_for_the_night_sends_yesterdays_leftovers_home(
    db: Database, bank: Bank
) -> None:
    configure(db, bank.unit("OUT-A"))  # 09:00-17:00, the business day from midnight
    open_counter(db, at(11, 30, 9, 0))
    issue(db, at(11, 30, 16, 59))
    with db.session() as session:
        counters.close_counter(
            session, operator(session, "teller.a"), "OUT-A", 1, at(11, 30, 17, 30)
        )
    with db.session() as session:
        snap = queries.snapshot(session, out_a(session), at(12, 1, 8, 50))
        assert snap.waiting == [] and snap.today == {"issued": 0}
    assert open_counter(db, at(12, 1, 8, 50)) == 1
    assert call(db, at(12, 1, 9, 0)) is None


def test_the_business_day_start_is_stored_and_shown(around_the_clock: Database) -> None:
    with around_the_clock.session() as session:
        outlet = out_a(session)
        assert layouts.load_policy(session, outlet).day_starts_at == FOUR
        assert config_api.config_json(session, outlet)["settings"]["day_starts_at"] == "04:00"


def test_the_demos_24_hour_outlets_start_their_day_at_04_00(db: Database) -> None:
    from manyi import demo

    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        starts = {}
        for code in ("BJ-HD-ZGC", "SH-PD-LJZ", "BJ-HD-WDK"):
            unit = session.scalar(select(Unit).where(Unit.code == code))
            assert unit is not None
            policy = layouts.load_policy(session, unit)
            starts[code] = (policy.open_around_the_clock, policy.day_starts_at)
    assert starts == {
        "BJ-HD-ZGC": (True, FOUR),
        "SH-PD-LJZ": (True, FOUR),
        "BJ-HD-WDK": (False, dt.time(0)),
    }


def test_the_branch_head_sets_the_start_of_the_business_day(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"))  # 09:00-17:00
    head = make_client(db)
    sign_in(head, "head.a", PASSWORD)
    head.headers["x-csrf-token"] = csrf_of(head, "/account/password")
    config = head.get("/api/v1/lobby/outlets/OUT-A/config").json()
    assert config["settings"]["day_starts_at"] == "00:00"
    del config["outlet"], config["settings"]["timezone"]
    url = "/api/v1/lobby/outlets/OUT-A/config"
    refused = [
        {"day_starts_at": "4 am"},  # not a time
        {"day_starts_at": "10:00"},  # inside the opening hours of an outlet that closes
        {"opens_at": "00:00", "closes_at": None, "day_starts_at": "12:00"},  # not before noon
    ]
    for change in refused:
        body = {**config, "settings": {**config["settings"], **change}}
        response = head.put(url, json=body)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["field"] == "settings.day_starts_at", change
    body = {**config, "settings": {**config["settings"], "day_starts_at": "04:00"}}
    saved = head.put(url, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["day_starts_at"] == "04:00"
