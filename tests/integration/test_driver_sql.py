"""The driver's own SQL (`manyi.driver_sql`, the lobby's hot path) and SQLAlchemy read and write
the same rows the same way, on both engines: what one writes, the other reads back unchanged.

On SQLite that holds only if the driver writes timestamps, dates and JSON in the very text
SQLAlchemy's column types write; on PostgreSQL, if it hands the driver aware UTC times and JSON.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from manyi import realtime
from manyi.db import Database
from manyi.driver_sql import Driver
from manyi.lobby import counters, hot_events, hot_sql, hot_writes, service, store
from manyi.lobby.domain.model import format_number
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbyTicket,
    RatingPrompt,
)
from tests.clock import FIXED_NOW
from tests.conftest import Bank
from tests.lobby_helpers import configure, operator

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_event_written_by_the_driver_reads_back_through_the_orm(
    db: Database, bank: Bank
) -> None:
    at = dt.datetime(2026, 11, 30, 10, 5, 7, 123456, tzinfo=SHANGHAI)  # not UTC on purpose
    data = {"number": "A001", "announcement": "请A001号到3号窗口", "nested": {"n": [1, 2]}}
    with db.session() as session:
        event_id = hot_events.insert_event(
            Driver(session), bank.unit("OUT-A"), "called", at, 7, None, None, 3, data
        )
    with db.read() as session:
        row = session.get_one(LobbyEventRow, event_id)
        assert row.at == at and row.at.tzinfo == dt.UTC  # the same instant, read as UTC
        assert row.data == data
        assert (row.kind, row.ticket_id, row.counter_id, row.device_id) == ("called", 7, None, 3)
        # SQLAlchemy's own comparison finds it: the stored text orders as SQLAlchemy's does.
        found = session.scalars(
            select(LobbyEventRow.id).where(
                LobbyEventRow.at > at - dt.timedelta(microseconds=1),
                LobbyEventRow.at < at + dt.timedelta(microseconds=1),
            )
        ).all()
        assert found == [event_id]


def test_a_completion_its_rating_prompt_and_their_events_in_one_write(
    db: Database, bank: Bank
) -> None:
    """A completion's event, with its ticket and counter, then the rating prompt and its
    `rating_prompted` event (one statement on PostgreSQL, `hot_events.insert_row_and_event`):
    the prompt's event names the new prompt, is numbered after the completion's, and the
    events stored are the ones announced, in the same order."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.open_counter(session, teller, "OUT-A", 1, FIXED_NOW)
        service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", FIXED_NOW)
        counters.call_next(session, teller, "OUT-A", 1, FIXED_NOW)
    later = FIXED_NOW + dt.timedelta(minutes=4)
    with db.session() as session:
        done = counters.complete(session, operator(session, "teller.a"), "OUT-A", 1, later)
        announced = [(e.id, e.kind, e.data) for e in session.info[realtime.OUTGOING]]
    with db.read() as session:
        prompt = session.scalars(select(RatingPrompt)).one()
        rows = session.scalars(
            select(LobbyEventRow)
            .where(LobbyEventRow.kind.in_(["completed", "rating_prompted"]))
            .order_by(LobbyEventRow.id)
        ).all()
        ticket = session.get_one(LobbyTicket, prompt.ticket_id)
        counter = session.get_one(LobbyCounter, prompt.counter_id)
    assert ticket.id == done.ticket.id and (ticket.state, ticket.outcome) == ("finished", "served")
    assert ticket.finished_at == later
    assert (counter.state, counter.current_ticket_id) == ("open", None)
    expected = {
        "prompt_id": prompt.id,
        "counter": 1,
        "number": prompt.number,
        "service": "A",
        "expires_at": prompt.expires_at.isoformat(),
    }
    completed, prompted = rows
    assert (completed.kind, prompted.kind) == ("completed", "rating_prompted")
    assert completed.id < prompted.id
    assert completed.data == {
        "number": ticket.number,
        "service": "A",
        "counter": 1,
        "service_s": 240,
    }
    assert prompted.data == expected and list(prompted.data) == list(expected)  # same order
    assert (prompted.ticket_id, prompted.counter_id) == (prompt.ticket_id, prompt.counter_id)
    assert completed.staff_id is not None and prompted.staff_id is None
    assert announced == [
        (completed.id, "completed", {"ticket_id": ticket.id, **completed.data}),
        (prompted.id, "rating_prompted", {"ticket_id": prompt.ticket_id, **expected}),
    ]


def test_a_ticket_written_through_the_orm_reads_back_through_the_driver(
    db: Database, bank: Bank
) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet)
    issued_at = FIXED_NOW - dt.timedelta(minutes=3, microseconds=5)
    with db.session() as session:
        service_id = session.scalars(
            select(LobbyService.id).where(
                LobbyService.outlet_id == outlet, LobbyService.code == "A"
            )
        ).one()
        row = LobbyTicket(
            outlet_id=outlet,
            local_day=dt.date(2026, 11, 30),
            prefix="A",
            seq=1,
            number="A001",
            service_id=service_id,
            service_code="A",
            klass="green",
            channel="kiosk",
            state="waiting",
            issued_at=issued_at,
            queued_at=FIXED_NOW,
            call_count=0,
            public_token="t" * 22,
        )
        session.add(row)
        session.flush()
        ticket_id = row.id
    with db.session() as session:
        d = Driver(session)
        locked = hot_sql.lock_ticket(d, ticket_id)
        assert locked is not None
        assert locked.local_day == dt.date(2026, 11, 30)
        assert locked.issued_at == issued_at and locked.issued_at.tzinfo == dt.UTC
        assert locked.due_at is None and locked.number == "A001"
        waiting = hot_sql.waiting(d, outlet, dt.date(2026, 11, 30))
        assert [(t.id, t.queued_at, t.klass.value) for t in waiting] == [
            (ticket_id, FIXED_NOW, "green")
        ]
        # Not waiting from a later business day on: the date compares as a date.
        assert hot_sql.waiting(d, outlet, dt.date(2026, 12, 1)) == []


def test_a_ticket_written_back_sets_only_what_changed(db: Database, bank: Bank) -> None:
    """`hot_writes.ticket_changes`: the UPDATE names the columns the action changed, and the
    row reads back as the domain left it; with nothing changed, it still writes (the state)."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        issued = service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", FIXED_NOW)
    later = FIXED_NOW + dt.timedelta(minutes=2)
    with db.session() as session:
        d = Driver(session)
        read = hot_sql.lock_ticket(d, issued.ticket.id)
        assert read is not None
        ticket = store.ticket_of(read)
        unchanged = hot_writes.ticket_changes(d, ticket, hot_writes.row_fields(read))
        assert unchanged.sql == "UPDATE lobby_tickets SET state = %s WHERE id = %s"
        assert unchanged.params == ("waiting", ticket.id)
        ticket.call(None, None, later)
        write = hot_writes.ticket_changes(d, ticket, hot_writes.row_fields(read))
        assert write.sql.startswith("UPDATE lobby_tickets SET state = %s, first_called_at = %s,")
        assert "number" not in write.sql and "issued_at" not in write.sql
        d.execute(*write)
    with db.read() as session:
        row = session.get_one(LobbyTicket, issued.ticket.id)
        assert (row.state, row.first_called_at, row.last_called_at) == ("called", later, later)
        assert (row.call_count, row.number, row.issued_at) == (1, "A001", FIXED_NOW)


def test_a_naive_time_is_refused_as_the_column_type_refuses_it(db: Database) -> None:
    with db.session() as session, pytest.raises(ValueError, match="naive"):
        Driver(session).stamp(dt.datetime(2026, 11, 30, 10, 0))


@pytest.mark.parametrize("seq", [1, 9, 10, 99, 100, 999, 1000, 1001, 12345])
def test_the_number_written_in_sql_is_the_number_python_makes(db: Database, seq: int) -> None:
    """PostgreSQL writes an issued ticket's number itself (hot_events._NUMBER_SQL), with the
    day's sequence it has just bumped: it must read exactly as `format_number` makes it."""
    if not db.url.startswith("postgresql"):
        pytest.skip("SQLite's tickets are numbered in Python")
    sql = "SELECT " + hot_events._NUMBER_SQL.format(prefix="%s", seq="CAST(%s AS integer)")
    with db.session() as session:
        found = Driver(session).one(sql, ("A", seq, seq, seq))
    assert found is not None and found[0] == format_number("A", seq)


def test_timestamps_come_back_in_utc_itself_whatever_the_servers_zone(db: Database) -> None:
    """PostgreSQL's sessions are set to UTC when they connect (`db._in_utc`), so the driver's
    hot path takes the timestamps as they come; on SQLite they are stored in UTC."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
    with db.session() as session:
        d = Driver(session)
        found = d.one("SELECT %s", (d.stamp(FIXED_NOW),))
        assert found is not None
        back = d.moment(found[0])
    assert back == FIXED_NOW
    assert back is not None and back.tzinfo is dt.UTC
