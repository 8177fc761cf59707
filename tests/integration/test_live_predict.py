"""The lobby uses each outlet's best wait predictor, chosen on its own history.

Every time here is fixed (NOW and times from it); the process clock is set to several
hours of the day to show that the outcome does not depend on when the tests run. When
this test read `datetime.now()`, it failed from about 13:20 to 16:00 UTC: its "yesterday"
(24 hours before now) then crossed midnight in Shanghai (16:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from time_machine import TimeMachineFixture

from manyi.db import Database
from manyi.forecast import live_predict
from manyi.forecast.tables import PredictorChoice
from manyi.lobby import counters, service
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit
from tests.conftest import Bank
from tests.lobby_helpers import T0, configure, operator

MIN = dt.timedelta(minutes=1)
NOW = T0  # 10:00 in Beijing on Monday 30 November 2026
YESTERDAY = NOW - dt.timedelta(days=1)  # 10:00 on Sunday: the outlet's previous business day

# Hours of the day the process clock is set to (the dates are beside the point):
# 14:29 UTC, when the clock-reading version failed on a fresh clone; 15:59 UTC, which is
# 23:59 in Asia/Shanghai, a minute before the outlet's day changes; 23:59 UTC (07:59 in
# Shanghai), another side of the day.
PROCESS_CLOCKS = {
    "14:29Z": dt.datetime(2026, 12, 4, 14, 29, tzinfo=dt.UTC),
    "23:59 Shanghai": dt.datetime(2026, 12, 4, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai")),
    "23:59Z": dt.datetime(2026, 12, 4, 23, 59, tzinfo=dt.UTC),
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    live_predict.forget()


@pytest.fixture(params=list(PROCESS_CLOCKS.values()), ids=list(PROCESS_CLOCKS))
def process_clock(request: pytest.FixtureRequest, time_machine: TimeMachineFixture) -> dt.datetime:
    """The real clock, moved to another hour of the day (and left running)."""
    destination: dt.datetime = request.param
    time_machine.move_to(destination, tick=True)
    return destination


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
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch, process_clock: dt.datetime
) -> None:
    assert abs(dt.datetime.now(dt.UTC) - process_clock) < 10 * MIN  # the clock was moved
    outlet_id = bank.unit("OUT-A")
    configure(db, outlet_id, opens=dt.time(0), closes=None)
    now = NOW
    with db.session() as session:
        counters.open_counter(
            session, operator(session, "teller.a"), "OUT-A", 1, now - 3 * 1440 * MIN
        )
    for i in range(8):  # yesterday: each customer waited 7 minutes
        visit(db, YESTERDAY + i * 20 * MIN, 7 * MIN)

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


def test_the_worker_job_chooses_once_a_day(
    db: Database, bank: Bank, process_clock: dt.datetime
) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    now = NOW
    assert live_predict.run_due(db, now) == 1
    assert live_predict.run_due(db, now + 60 * MIN) == 0
    assert live_predict.run_due(db, now + 25 * 60 * MIN) == 1
    with db.session() as session:
        row = session.get(PredictorChoice, bank.unit("OUT-A"))
        assert row is not None and row.predictor == "v0"
