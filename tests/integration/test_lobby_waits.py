"""One wait estimate: the kiosk, the customer's status page and the dashboard agree; a service
no open counter serves says so everywhere, and the advice notices it.

The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pytest

from manyi.db import Database
from manyi.forecast import live_advice, live_bands, live_predict
from manyi.forecast.advice import Action
from manyi.forecast.tables import PredictorChoice
from manyi.lobby import counters, service
from manyi.lobby.adapters import printing
from manyi.org.tables import Unit
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.lobby_helpers import configure, operator
from tests.web_helpers import device_client, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
FIELDS = ("served", "people_ahead", "predicted_wait_s", "wait_low_s", "wait_high_s")


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    live_predict.forget()
    live_bands.forget()


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a", "teller.a2")
    return bank


def history(
    db: Database, visits: int, start: dt.datetime = FIXED_NOW - 4 * HOUR, forget: bool = True
) -> None:
    """Earlier today: customers of A served one after another at counter 1, with waits that
    vary, so the outlet has errors to calibrate its 80 % range on."""
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", 1, start)
    at = start
    for i in range(visits):
        with db.session() as session:
            service.issue_ticket(session, operator(session, "lobby.a"), "OUT-A", "A", at)
        called = at + (i % 5) * MIN
        with db.session() as session:
            teller = operator(session, "teller.a")
            counters.call_next(session, teller, "OUT-A", 1, called)
            counters.complete(session, teller, "OUT-A", 1, called + 2 * MIN)
        at = called + 3 * MIN
    with db.session() as session:
        counters.close_counter(session, operator(session, "teller.a"), "OUT-A", 1, at)
    if forget:
        live_bands.forget()  # a process looks for new waits once a minute; the test does not wait


def shown(body: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(body[k] for k in FIELDS)


def test_kiosk_status_page_and_dashboard_show_one_estimate(db: Database, lobby: Bank) -> None:
    history(db, 40)
    outlet = lobby.unit("OUT-A")
    with db.session() as session:
        # The outlet's history chose a learned predictor: its wait is scaled to each ticket.
        session.add(
            PredictorChoice(outlet_id=outlet, predictor="les", served=40, evaluated_at=FIXED_NOW)
        )
    teller = staff_client(db, "teller.a")
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open").status_code == 200
    kiosk = device_client(db, outlet, "kiosk")
    public = make_client(db)
    taken = [
        kiosk.post("/device/api/v1/lobby/tickets", json={"service": s, "class": k}).json()
        for s, k in [("A", "normal"), ("B", "normal"), ("A", "normal"), ("A", "green")]
    ]
    manager = staff_client(db, "lobby.a")

    def dashboard(code: str) -> dict[str, Any]:
        board = manager.get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
        return next(s for s in board["services"] if s["code"] == code)

    # The dashboard's "new ticket" figure is what the kiosk then tells the next customer,
    # and the customer's status page tells the same at that moment.
    before = dashboard("A")
    issued = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()
    status = public.get(issued["status_api"]).json()
    assert shown(issued) == shown(before) == shown(status)
    assert issued["served"] is True and issued["people_ahead"] == 4
    assert issued["wait_low_s"] is not None and issued["wait_low_s"] <= issued["wait_high_s"]
    # Every ticket's status page, asked twice at one moment, gives one answer; B001 counts
    # the customers the counter will really call first: the A line it prefers, the green
    # customer who came after it; and then B001 has waited 15 minutes and goes before the
    # last A (ageing).
    for ticket in taken:
        first = public.get(ticket["status_api"]).json()
        assert shown(first) == shown(public.get(ticket["status_api"]).json())
    b001 = public.get(taken[1]["status_api"]).json()
    assert b001["number"] == "B001" and b001["people_ahead"] == 3 and b001["position"] == 4
    # The page itself prints the same words the kiosk shows.
    page = public.get(f"/t/{issued['token']}")
    words = printing.format_wait(
        issued["predicted_wait_s"], "zh", issued["wait_low_s"], issued["wait_high_s"]
    )
    assert re.fullmatch(r"约 \d+–\d+ 分钟|\d+ 分钟内", words) and words in page.text


def test_the_live_range_learns_each_new_wait_once(
    db: Database, lobby: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_bands, "TTL_S", 0.0)  # look for new waits at every use
    outlet = lobby.unit("OUT-A")
    history(db, 35)
    with db.session() as session:
        unit = session.get_one(Unit, outlet)
        first = live_bands.range_80(session, unit.id, 120, FIXED_NOW)
        assert first is not None and first[0] <= first[1]
    history(db, 20, start=FIXED_NOW, forget=False)  # the afternoon: learned as they come
    with db.session() as session:
        later = live_bands.range_80(session, outlet, 120, FIXED_NOW + 5 * HOUR)
        fresh = live_bands.calibrate(session, outlet, FIXED_NOW + 5 * HOUR)
    band = fresh.band(120.0)
    assert band is not None and later == (int(band[0]), math.ceil(band[1]))
    assert len(fresh.pooled) == 55


def test_a_service_no_open_counter_serves_says_so_and_is_advised(db: Database, lobby: Bank) -> None:
    outlet = lobby.unit("OUT-A")
    teller = staff_client(db, "teller.a")
    # Only counter 3 (A and B) is open; counter 5, the only one for 对公业务 (C), is closed.
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/3/open").status_code == 200
    kiosk = device_client(db, outlet, "kiosk")
    corporate = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "C"})
    assert corporate.status_code == 201, corporate.text
    body = corporate.json()
    assert shown(body) == (False, None, None, None, None)
    status = make_client(db).get(body["status_api"]).json()
    assert shown(status) == (False, None, None, None, None) and status["position"] is None
    page = make_client(db).get(f"/t/{body['token']}")
    assert "暂无窗口办理此业务" in page.text
    printed = make_client(db).get(f"/t/{body['token']}/print?paper=80")
    assert "暂无窗口办理此业务" in printed.text and "前面等候" not in printed.text
    queue = {s["code"]: s for s in kiosk.get("/device/api/v1/lobby/queue").json()["services"]}
    assert queue["C"]["served"] is False and queue["A"]["served"] is True
    with db.session() as session:
        unit = session.get_one(Unit, outlet)
        state = live_advice.state_of(session, unit, FIXED_NOW)
        assert (state.unserved, state.unserved_waiting, state.unserved_counter) == (("C",), 1, 5)
        advice = live_advice.evaluate_outlet(session, unit, FIXED_NOW).advice
    assert (advice.action, advice.counter) == (Action.SERVE, 5)
    board = staff_client(db, "lobby.a").get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
    assert board["advice"]["current"]["action"] == "open_for_service"
    assert "建议开放 5 号窗口" in board["advice"]["current"]["text"]
