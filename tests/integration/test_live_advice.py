"""Flexible-counter advice on a live lobby: given, recorded, acted on, ended."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from manyi.db import Database
from manyi.forecast import live_advice
from manyi.forecast.advice import Action
from manyi.forecast.tables import AdviceRow
from manyi.lobby import counters, service
from manyi.org.tables import Unit
from tests.conftest import Bank
from tests.lobby_helpers import T0, configure, operator


def test_advice_to_open_the_flexible_counter_is_recorded_and_marked_acted(
    db: Database, bank: Bank
) -> None:
    outlet_id = bank.unit("OUT-A")
    configure(db, outlet_id, opens=dt.time(0), closes=None)
    now = T0
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.open_counter(session, teller, "OUT-A", 1, now - dt.timedelta(minutes=40))
        for _ in range(12):  # a long queue for one counter: ~50 min for the last one
            service.issue_ticket(
                session, operator(session, "admin"), "OUT-A", "A", now - dt.timedelta(minutes=30)
            )
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        state = live_advice.state_of(session, outlet, now)
        assert state.closed_flexible == (4,) and state.predicted_wait_s > 900
        assert state.free_tellers == 0  # teller.a is at counter 1, nobody else may work one
        first = live_advice.evaluate_outlet(session, outlet, now)
    # Nobody free to open counter 4: page second-line staff.
    assert first.advice.action is Action.PAGE and first.changed
    with db.session() as session:
        counters.close_counter(session, operator(session, "teller.a"), "OUT-A", 1, now)
    later = now + dt.timedelta(minutes=1)
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        second = live_advice.evaluate_outlet(session, outlet, later)
    # Now no open counter serves A at all: open one for it, the flexible counter first.
    assert second.advice.action is Action.SERVE and second.advice.counter == 4
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", 4, later)
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        live_advice.evaluate_outlet(session, outlet, later + dt.timedelta(minutes=1))
        rows = session.scalars(select(AdviceRow).order_by(AdviceRow.id)).all()
        assert [r.action for r in rows][:2] == ["page_second_line", "open_for_service"]
        assert rows[0].ended_at == later  # replaced by the open advice
        assert rows[1].acted_at == later and rows[1].acted_event_id is not None
        assert live_advice.acted_share(session, outlet_id, now) == (len(rows), 1)


def test_the_worker_job_evaluates_each_open_outlet_once_a_minute(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    now = T0
    live_advice.run_due(db, now)
    with db.session() as session:
        state = session.get(live_advice.AdviceState, bank.unit("OUT-A"))
        assert state is not None and state.evaluated_at == now
    live_advice.run_due(db, now + dt.timedelta(seconds=30))
    with db.session() as session:
        state = session.get(live_advice.AdviceState, bank.unit("OUT-A"))
        assert state is not None and state.evaluated_at == now  # not due yet
    assert live_advice.run_due(db, now + dt.timedelta(seconds=61)) == 0  # quiet lobby


def test_the_dashboard_shows_the_standing_advice_translated(
    db: Database, bank: Bank, frozen_clock: dt.datetime
) -> None:
    from tests.web_helpers import staff_client

    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    now = frozen_clock  # the dashboard counts today's advice at its own now
    with db.session() as session:
        for _ in range(15):
            service.issue_ticket(
                session, operator(session, "admin"), "OUT-A", "A", now - dt.timedelta(minutes=20)
            )
        live_advice.evaluate_outlet(session, session.get_one(Unit, bank.unit("OUT-A")), now)
    board = staff_client(db, "teller.a").get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
    advice = board["advice"]
    # No counter is open at all: 15 wait for a service nobody serves.
    assert advice["current"]["action"] == "open_for_service" and advice["current"]["counter"] == 4
    assert (
        "15 人在等候 A 业务，但没有开放的窗口办理：建议开放 4 号窗口" in advice["current"]["text"]
    )
    assert (advice["given_today"], advice["acted_today"]) == (1, 0)
