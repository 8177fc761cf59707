"""Lobby use cases against a real database, with controlled clocks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.lobby import counters, queries, service, setup, store, transfers
from manyi.lobby.domain.model import Policy, PriorityClass
from manyi.lobby.tables import LobbyCounter, LobbyEventRow, LobbyTicket
from manyi.org import staff as staff_service
from manyi.org.tables import Unit
from tests.conftest import SYSTEM, Bank, add_staff
from tests.lobby_helpers import T0, configure, operator

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def outlet(db: Database, bank: Bank) -> str:
    configure(db, bank.unit("OUT-A"))
    add_staff(db, bank, "lobby.a", "teller.a2")
    return "OUT-A"


def issue(db: Database, outlet: str, code: str, at: dt.datetime, **kw: object) -> int:
    with db.session() as session:
        issued = service.issue_ticket(
            session,
            operator(session, "lobby.a"),
            outlet,
            code,
            at,
            **kw,  # type: ignore[arg-type]
        )
        return issued.ticket.id


def act(db: Database, who: str, action: object, *args: object, **kw: object) -> object:
    with db.session() as session:
        return action(session, operator(session, who), *args, **kw)  # type: ignore[operator]


def test_numbers_restart_at_the_outlets_local_midnight(db: Database, outlet: str) -> None:
    configure(db, db_unit(db, outlet), opens=dt.time(0), closes=None)
    # 23:59 and 00:01 in Beijing are 15:59 and 16:01 UTC on the same UTC date.
    late = dt.datetime(2026, 11, 30, 15, 59, tzinfo=dt.UTC)
    numbers = []
    for at in (late, late, late + 2 * MIN, late + 3 * MIN):
        with db.session() as session:
            numbers.append(
                service.issue_ticket(
                    session, operator(session, "lobby.a"), outlet, "A", at
                ).ticket.number
            )
    assert numbers == ["A001", "A002", "A001", "A002"]
    with db.session() as session:
        days = session.scalars(select(LobbyTicket.local_day).order_by(LobbyTicket.id)).all()
    assert [d.isoformat() for d in days] == ["2026-11-30", "2026-11-30", "2026-12-01", "2026-12-01"]


def db_unit(db: Database, code: str) -> int:
    with db.session() as session:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        assert unit is not None
        return unit.id


def test_opening_hours_follow_local_time(db: Database, outlet: str) -> None:
    before_nine = dt.datetime(2026, 11, 30, 0, 59, tzinfo=dt.UTC)  # 08:59 in Beijing
    with pytest.raises(Conflict) as refused:
        issue(db, outlet, "A", before_nine)
    assert refused.value.error_code == "outlet_closed"
    assert issue(db, outlet, "A", before_nine + MIN) > 0


def test_a_counter_serves_only_what_its_teller_is_skilled_for(db: Database, outlet: str) -> None:
    issue(db, outlet, "C", T0)  # corporate business needs the "corporate" skill
    act(db, "teller.a", counters.open_counter, outlet, 5, T0)
    called = act(db, "teller.a", counters.call_next, outlet, 5, T0 + MIN)
    assert called.ticket is None  # type: ignore[attr-defined]
    act(db, "teller.a", counters.close_counter, outlet, 5, T0 + MIN)
    with db.session() as session:
        teller = staff_service.by_username(session, "teller.a")
        assert teller is not None
        setup.set_skills(session, SYSTEM, teller, ["corporate"])
    act(db, "teller.a", counters.open_counter, outlet, 5, T0 + 2 * MIN)
    called = act(db, "teller.a", counters.call_next, outlet, 5, T0 + 2 * MIN)
    assert called.ticket.number == "C001"  # type: ignore[attr-defined]


def test_a_teller_signs_on_at_one_counter_only(db: Database, outlet: str) -> None:
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    with pytest.raises(Conflict):
        act(db, "teller.a", counters.open_counter, outlet, 3, T0)
    with pytest.raises(Conflict):
        act(db, "teller.a2", counters.open_counter, outlet, 1, T0)  # already open
    with pytest.raises(Forbidden):
        act(db, "teller.a2", counters.pause_counter, outlet, 1, T0)
    # The lobby manager may sign a teller on and act on any counter.
    act(db, "lobby.a", counters.open_counter, outlet, 3, T0, "teller.a2")
    act(db, "lobby.a", counters.pause_counter, outlet, 3, T0)
    with pytest.raises(Forbidden):
        act(db, "teller.a", counters.open_counter, outlet, 4, T0, "teller.a2")


def test_appointments_become_due_at_their_booked_time(db: Database, outlet: str) -> None:
    weights = {PriorityClass.GREEN: 2, PriorityClass.VIP: 1, PriorityClass.APPOINTMENT: 3}
    configure(db, db_unit(db, outlet), weights={**weights, PriorityClass.NORMAL: 2})
    first = issue(db, outlet, "A", T0)
    booked = issue(db, outlet, "A", T0 + MIN, klass="appointment", due_at=T0 + 10 * MIN)
    later = issue(db, outlet, "A", T0 + 2 * MIN)
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    order = []
    for at in (T0 + 3 * MIN, T0 + 11 * MIN, T0 + 12 * MIN):
        called = act(db, "teller.a", counters.call_next, outlet, 1, at)
        order.append(called.ticket.id)  # type: ignore[attr-defined]
        act(db, "teller.a", counters.complete, outlet, 1, at)
    # Before 10 minutes the appointment is just the second in line; once due, its class
    # takes its turn ahead of the normal ticket queued after it was.
    assert order == [first, booked, later]
    with pytest.raises(InvalidInput):
        issue(db, outlet, "A", T0, due_at=T0 + MIN)  # only appointments are booked


def test_transfer_to_a_counter_goes_to_that_counter_first(db: Database, outlet: str) -> None:
    issue(db, outlet, "B", T0)
    moved_id = issue(db, outlet, "A", T0 + MIN)
    issue(db, outlet, "B", T0 + 2 * MIN)
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    act(db, "teller.a2", counters.open_counter, outlet, 4, T0)
    first = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 3 * MIN)
    assert first.ticket.number == "A001"  # type: ignore[attr-defined]
    assert first.ticket.id == moved_id  # type: ignore[attr-defined]
    nxt = act(db, "teller.a", transfers.transfer, outlet, 1, T0 + 4 * MIN, target_counter=4).ticket  # type: ignore[attr-defined]
    assert nxt.number == "A001" and nxt.issued_at == T0 + MIN and nxt.target_counter_id
    # Counter 1 does not see it any more; counter 4 calls it before its own B line.
    other = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 5 * MIN)
    assert other.ticket.number == "B001"  # type: ignore[attr-defined]
    there = act(db, "teller.a2", counters.call_next, outlet, 4, T0 + 5 * MIN)
    assert there.ticket.number == "A001" and there.reason == "sent_here"  # type: ignore[attr-defined]
    with db.session() as session:
        legs = session.scalars(
            select(LobbyTicket).where(LobbyTicket.number == "A001").order_by(LobbyTicket.id)
        ).all()
        assert [leg.outcome for leg in legs] == ["transferred", None]
        assert legs[1].previous_id == legs[0].id and legs[0].public_token == legs[1].public_token


def test_requeue_only_within_the_grace_period(db: Database, outlet: str) -> None:
    gone = issue(db, outlet, "A", T0)
    for i in range(4):
        issue(db, outlet, "A", T0 + (i + 1) * MIN)
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    act(db, "teller.a", counters.call_next, outlet, 1, T0 + 6 * MIN)
    act(db, "teller.a", counters.recall, outlet, 1, T0 + 7 * MIN)
    act(db, "teller.a", counters.no_show, outlet, 1, T0 + 8 * MIN)
    with pytest.raises(Conflict):
        act(db, "teller.a", service.requeue, gone, T0 + 19 * MIN)  # grace is 10 minutes
    act(db, "teller.a", service.requeue, gone, T0 + 17 * MIN)
    # Back behind three people (the default), ahead of the fourth.
    order = []
    for step in range(5):
        called = act(db, "teller.a", counters.call_next, outlet, 1, T0 + (18 + step) * MIN)
        order.append(called.ticket.id)  # type: ignore[attr-defined]
        act(db, "teller.a", counters.complete, outlet, 1, T0 + (18 + step) * MIN)
    assert order.index(gone) == 3


def test_status_and_snapshot(db: Database, outlet: str) -> None:
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    with db.session() as session:
        first = service.issue_ticket(session, operator(session, "lobby.a"), outlet, "A", T0)
        second = service.issue_ticket(
            session, operator(session, "lobby.a"), outlet, "B", T0 + MIN, klass="green"
        )
    with db.session() as session:
        status = queries.ticket_status(session, second.public_token, T0 + 2 * MIN)
        assert status.people_ahead == 1 and status.predicted_wait_s is not None
        unit = session.scalar(select(Unit).where(Unit.code == outlet))
        assert unit is not None
        snap = queries.snapshot(session, unit, T0 + 2 * MIN)
    by_code = {q.service.code: q for q in snap.services}
    assert by_code["A"].waiting == 1 and by_code["A"].longest_wait_s == 120
    assert by_code["B"].by_class == {"green": 1}
    assert snap.today == {"issued": 2}
    assert first.ticket.predicted_wait_s == 0


def test_events_carry_what_boards_need(db: Database, outlet: str) -> None:
    issue(db, outlet, "K", T0)
    act(db, "teller.a", counters.open_counter, outlet, 2, T0)
    act(db, "teller.a", counters.call_next, outlet, 2, T0 + MIN)
    with db.session() as session:
        called = session.scalar(select(LobbyEventRow).where(LobbyEventRow.kind == "called"))
        assert called is not None
    assert called.data["number"] == "K001" and called.data["counter"] == 2
    assert called.data["announcement"]["zh"] == "请K001号到2号窗口办理"
    assert called.data["reason"] == "own_lane" and called.data["waited_s"] == 60


def test_settings_are_validated(db: Database, outlet: str) -> None:
    with pytest.raises(InvalidInput):
        Policy(announcement_zh="请到窗口")  # no {number}
    with pytest.raises(InvalidInput):
        configure(db, db_unit(db, outlet), requeue_behind=99)
    with db.session() as session:
        unit = session.get_one(Unit, db_unit(db, outlet))
        with pytest.raises(InvalidInput):
            setup.configure_outlet(
                session,
                SYSTEM,
                unit,
                policy=Policy(),
                services=[],
                counters=[setup.CounterSpec(1, "regular", ("A",))],
            )


def test_a_transfer_never_strands_a_customer(db: Database, outlet: str) -> None:
    issue(db, outlet, "A", T0)
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    act(db, "teller.a2", counters.open_counter, outlet, 4, T0)
    act(db, "teller.a", counters.call_next, outlet, 1, T0 + MIN)
    with pytest.raises(InvalidInput) as closed:
        act(db, "teller.a", transfers.transfer, outlet, 1, T0 + MIN, target_counter=3)
    assert closed.value.field == "target_counter"  # counter 3 is closed
    act(db, "lobby.a", counters.open_counter, outlet, 5, T0 + MIN)
    with pytest.raises(InvalidInput) as unskilled:  # corporate business needs the skill
        act(
            db,
            "teller.a",
            transfers.transfer,
            outlet,
            1,
            T0 + MIN,
            service_code="C",
            target_counter=5,
        )
    assert "does not handle" in unskilled.value.text()
    act(db, "teller.a", transfers.transfer, outlet, 1, T0 + 2 * MIN, target_counter=4)
    # Counter 4 closes before calling: the customer goes back to the common line.
    act(db, "teller.a2", counters.close_counter, outlet, 4, T0 + 3 * MIN)
    again = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 4 * MIN)
    assert again.ticket.number == "A001"  # type: ignore[attr-defined]


def test_a_long_queue_still_sees_a_priority_ticket_at_its_back(db: Database, outlet: str) -> None:
    for i in range(40):  # longer than the front of the normal line that call-next reads
        issue(db, outlet, "A", T0 + i * dt.timedelta(seconds=5))
    green = issue(db, outlet, "A", T0 + 4 * MIN, klass="green")
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    first = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 5 * MIN)
    assert first.ticket.id == green  # type: ignore[attr-defined]
    act(db, "teller.a", counters.complete, outlet, 1, T0 + 5 * MIN)
    second = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 5 * MIN)
    assert second.ticket.number == "A001"  # type: ignore[attr-defined]


# As many as the read holds (they run out unless it reads afresh in time), and more than two
# reads hold.
@pytest.mark.parametrize("taken", [store.NORMAL_HEAD, 2 * store.NORMAL_HEAD + 1])
def test_a_counter_beaten_to_the_front_tickets_still_calls_the_next_of_that_line(
    db: Database, outlet: str, monkeypatch: pytest.MonkeyPatch, taken: int
) -> None:
    """Call-next reads the front few of each line (`store.NORMAL_HEAD`). When other counters
    claim those between its read and its claims, each claim misses and it chooses again; it
    reads afresh often enough never to run out of the line it should serve and call another."""
    plain = [issue(db, outlet, "A", T0 + i * dt.timedelta(seconds=5)) for i in range(12)]
    issue(db, outlet, "B", T0 + 3 * MIN)  # what counter 1 would call if it lost track of A
    act(db, "teller.a", counters.open_counter, outlet, 1, T0)
    read = store.lock_counter_for_call

    def read_then_lose_the_front(session: Session, *args: object) -> object:
        found = read(session, *args)  # type: ignore[arg-type]
        # Counter 3 claims them meanwhile (the rows as the guarded claim will find them).
        other = session.scalar(select(LobbyCounter.id).where(LobbyCounter.number == 3))
        session.execute(
            update(LobbyTicket)
            .where(LobbyTicket.id.in_(plain[:taken]))
            .values(state="called", counter_id=other, call_count=1)
        )
        return found

    monkeypatch.setattr(store, "lock_counter_for_call", read_then_lose_the_front)
    called = act(db, "teller.a", counters.call_next, outlet, 1, T0 + 5 * MIN)
    assert called.ticket.id == plain[taken]  # type: ignore[attr-defined]
    with db.session() as session:
        events = session.scalars(select(LobbyEventRow).where(LobbyEventRow.kind == "called"))
        assert [e.ticket_id for e in events] == [plain[taken]]  # no event for a missed claim
