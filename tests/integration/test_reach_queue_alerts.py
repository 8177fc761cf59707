"""Text-message alerts while waiting: asked for on the status page, sent as the queue moves."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.lobby import queries as lobby_queries
from manyi.org.tables import Unit
from manyi.reach import delivery, queue_alerts
from manyi.reach.adapters.gateway import Channel
from manyi.reach.adapters.simulated import SimulatedGateway
from manyi.reach.queue_alerts import QueueAlerts
from manyi.reach.tables import ReachConsent, ReachMessage, ReachTicketWatch
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.lobby_helpers import configure
from tests.web_helpers import csrf_of, device_client, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
ZONE = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a")
    return bank


def _texts(db: Database) -> list[tuple[str, str]]:
    gateway = SimulatedGateway(Channel.SMS)
    delivery.deliver_due(db, {Channel.SMS: gateway}, FIXED_NOW)
    delivery.record_receipts(db, {Channel.SMS: gateway}, FIXED_NOW)
    with db.session() as session:
        rows = session.scalars(select(ReachMessage).order_by(ReachMessage.id)).all()
        return [(m.kind, m.state) for m in rows]


def test_near_then_called_each_once(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    tickets = [
        kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json() for _ in range(6)
    ]
    last = tickets[-1]
    token = last["status_api"].rsplit("/", 1)[-1]
    customer = make_client(db)
    page = customer.get(f"/t/{token}")
    assert page.status_code == 200 and "data-alerts-form" in page.text
    asked = customer.post(
        f"/t/{token}/alerts",
        data={"phone": PHONE, "agree": "on", "csrf_token": csrf_of(customer, f"/t/{token}")},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert "data-alerts-on" in customer.get(asked.headers["location"]).text

    assert queue_alerts.watch_pass(db, ZONE, FIXED_NOW) == 0  # five ahead: not near yet
    teller = staff_client(db, "teller.a")
    base = "/api/v1/lobby/outlets/OUT-A/counters/1"
    teller.post(f"{base}/open")
    for _ in range(2):
        teller.post(f"{base}/call-next")
        teller.post(f"{base}/complete")
    assert queue_alerts.watch_pass(db, ZONE, FIXED_NOW) == 1  # three ahead: near
    assert queue_alerts.watch_pass(db, ZONE, FIXED_NOW) == 0  # once only
    for _ in range(3):
        teller.post(f"{base}/call-next")
        teller.post(f"{base}/complete")
    called = teller.post(f"{base}/call-next").json()
    assert called["ticket"]["number"] == last["number"]
    assert queue_alerts.watch_pass(db, ZONE, FIXED_NOW) == 1
    teller.post(f"{base}/complete")
    queue_alerts.watch_pass(db, ZONE, FIXED_NOW)
    assert _texts(db) == [("turn_near", "delivered"), ("called", "delivered")]
    with db.session() as session:
        watch = session.scalars(select(ReachTicketWatch)).one()
        assert watch.done_at is not None
        consent = session.scalars(select(ReachConsent)).one()
        assert (consent.purpose, consent.source, consent.granted) == ("queue", "status_page", True)
        text = session.scalars(select(ReachMessage)).first()
        assert text is not None and text.params["ahead"] == "3"


def test_a_wrong_number_or_no_agreement_is_refused_on_the_page_and_nothing_is_kept(
    db: Database, lobby: Bank
) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    token = (
        kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
        .json()["status_api"]
        .rsplit("/", 1)[-1]
    )
    customer = make_client(db)
    csrf = csrf_of(customer, f"/t/{token}")
    wrong = customer.post(
        f"/t/{token}/alerts", data={"phone": "12345", "agree": "on", "csrf_token": csrf}
    )
    assert wrong.status_code == 422 and "不是大陆手机号" in wrong.text
    assert 'value="12345"' in wrong.text  # what was typed stays in the field
    unticked = customer.post(f"/t/{token}/alerts", data={"phone": PHONE, "csrf_token": csrf})
    assert unticked.status_code == 422 and "data-alerts-error" in unticked.text
    with db.session() as session:
        assert session.scalars(select(ReachTicketWatch)).all() == []
        assert session.scalars(select(ReachConsent)).all() == []


def test_a_pass_reads_each_outlets_queue_once_with_the_same_answers(
    db: Database, lobby: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(db, lobby.unit("OUT-B"), opens=dt.time(0), closes=None)
    tokens: dict[str, list[str]] = {}
    for outlet in ("OUT-A", "OUT-B"):
        kiosk = device_client(db, lobby.unit(outlet), "kiosk")
        issued = [
            kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()
            for _ in range(6)
        ]
        tokens[outlet] = [t["status_api"].rsplit("/", 1)[-1] for t in issued]
    teller = staff_client(db, "teller.a")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")  # A's first is called
    watched = [*tokens["OUT-A"][:4], *tokens["OUT-B"][1:5]]
    with db.session() as session:
        for number, token in enumerate(watched):
            QueueAlerts().subscribe(session, token, f"1381234{number:04}", "zh-CN", FIXED_NOW)
    with db.session() as session:
        one_by_one = {t: lobby_queries.ticket_status(session, t, FIXED_NOW) for t in watched}
        together = lobby_queries.ticket_statuses(session, [*watched, "no-such-token"], FIXED_NOW)
    assert set(together) == set(watched)  # an unknown token is left out

    def seen(status: lobby_queries.TicketStatus) -> tuple[object, ...]:
        return (
            status.ticket.number,
            status.ticket.state,
            status.outlet.id,
            status.people_ahead,
            status.predicted_wait_s,
            status.counter_number,
            status.announcement,
        )

    assert {t: seen(s) for t, s in together.items()} == {t: seen(s) for t, s in one_by_one.items()}

    reads: list[int] = []
    view_of = lobby_queries.view_of

    def counted(session: object, outlet: Unit, now: dt.datetime) -> object:
        reads.append(outlet.id)
        return view_of(session, outlet, now)  # type: ignore[arg-type]

    def refused(*args: object) -> None:
        raise AssertionError("a pass reads no ticket's status on its own")

    monkeypatch.setattr(lobby_queries, "view_of", counted)
    monkeypatch.setattr(lobby_queries, "ticket_status", refused)
    # A: the called ticket and the next three (at most 3 ahead) write; B has no open counter,
    # so no estimate and nothing near yet.
    assert queue_alerts.watch_pass(db, ZONE, FIXED_NOW) == 4
    assert sorted(reads) == sorted([lobby.unit("OUT-A"), lobby.unit("OUT-B")])
    with db.session() as session:
        kinds = session.scalars(select(ReachMessage.kind).order_by(ReachMessage.id)).all()
    assert sorted(kinds) == ["called", "turn_near", "turn_near", "turn_near"]
