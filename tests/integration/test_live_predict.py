"""The lobby uses each outlet's best wait predictor, chosen on its own history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.forecast import live_predict
from manyi.forecast.tables import PredictorChoice
from manyi.lobby import counters, service
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit
from tests.conftest import Bank
from tests.lobby_helpers import configure, operator

MIN = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    live_predict.forget()


def visit(db: Database, start: dt.datetime, wait: dt.timedelta) -> int:
    """A customer of service A issued at `start`, called after `wait`, served 5 minutes."""
    with db.session() as session:
        issued = service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", start)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.call_next(session, teller, "OUT-A", 1, start + wait)
        counters.start(session, teller, "OUT-A", 1, start + wait)
        counters.complete(session, teller, "OUT-A", 1, start + wait + 5 * MIN)
    return issued.ticket.id


def test_the_outlet_chooses_on_history_and_its_lobby_uses_the_choice(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    outlet_id = bank.unit("OUT-A")
    configure(db, outlet_id, opens=dt.time(0), closes=None)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with db.session() as session:
        counters.open_counter(
            session, operator(session, "teller.a"), "OUT-A", 1, now - 3 * 1440 * MIN
        )
    yesterday = now - 1440 * MIN
    for i in range(8):  # yesterday: each customer waited 7 minutes
        visit(db, yesterday + i * 20 * MIN, 7 * MIN)

    # Too little history: the engine's estimate (v0) stays.
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        row = live_predict.choose(session, outlet, now)
        assert (row.predictor, row.served) == ("v0", 8)
        assert live_predict.predict_at_issue(session, outlet, "A", "normal", now) is None

    # With enough history the best predictor is chosen by its error on that history.
    monkeypatch.setattr(live_predict, "MIN_SERVED", 5)
    with db.session() as session:
        row = live_predict.choose(session, session.get_one(Unit, outlet_id), now)
        assert row.predictor in ("les", "queue", "learned", "v0") and row.mae_s is not None
        row.predictor = "les"  # last-to-enter-service: easy to check by hand
    live_predict.forget()
    with db.session() as session:
        issued = service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", now)
        assert issued.ticket.predicted_wait_s == 7 * 60  # the last customer called waited 7 min
    # Today a customer is called after 2 minutes: the warm predictor follows the events.
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.call_next(session, teller, "OUT-A", 1, now + 2 * MIN)
    with db.session() as session:
        later = service.issue_ticket(
            session, operator(session, "admin"), "OUT-A", "A", now + 3 * MIN
        )
        assert later.ticket.predicted_wait_s == 2 * 60
        stored = session.scalar(
            select(LobbyTicket.predicted_wait_s).where(LobbyTicket.id == later.ticket.id)
        )
        assert stored == 120


def test_the_worker_job_chooses_once_a_day(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    now = dt.datetime.now(dt.UTC)
    assert live_predict.run_due(db, now) == 1
    assert live_predict.run_due(db, now + 60 * MIN) == 0
    assert live_predict.run_due(db, now + 25 * 60 * MIN) == 1
    with db.session() as session:
        row = session.get(PredictorChoice, bank.unit("OUT-A"))
        assert row is not None and row.predictor == "v0"
