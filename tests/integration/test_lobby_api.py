"""The lobby through its HTTP API: kiosks, calling pads, staff sessions, the public.

Times are real here (the API stamps `now`), so the outlet is open all day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.db import Database
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from tests.conftest import Bank, add_staff
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, make_client, staff_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    for side in ("A", "B"):
        configure(db, bank.unit(f"OUT-{side}"), opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a")
    return bank


def snapshot(db: Database) -> tuple[Any, ...]:
    """Everything a bad request must leave alone."""
    with db.session() as session:
        tickets = session.execute(
            select(LobbyTicket.id, LobbyTicket.state, LobbyTicket.counter_id).order_by(
                LobbyTicket.id
            )
        ).all()
        events = session.scalar(select(func.count()).select_from(LobbyEventRow))
    return (tuple(tickets), events)


def test_kiosk_issues_and_customer_follows_the_ticket(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    teller = staff_client(db, "teller.a")
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open").status_code == 200
    first = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["number"] == "A001" and body["people_ahead"] == 0
    assert body["channel"] == "kiosk" and body["state"] == "waiting"
    assert body["service_name"]["zh"] == "个人现金业务"
    second = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "a"}).json()
    assert second["number"] == "A002" and second["people_ahead"] == 1
    assert second["predicted_wait_s"] > 0
    assert kiosk.post("/device/api/v1/lobby/tickets", json={"service": "B"}).json()["number"] == (
        "B001"
    )

    public = make_client(db)
    status = public.get(second["status_api"]).json()
    assert status["number"] == "A002" and status["position"] == 2
    assert status["outlet"]["name"] == "甲网点" and status["counter"] is None

    called = teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next").json()
    assert called["ticket"]["number"] == "A001"
    assert called["announcement"]["zh"] == "请A001号到1号窗口办理"
    status = public.get(second["status_api"]).json()
    assert status["position"] == 1

    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/complete")
    called = teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next").json()
    assert called["ticket"]["number"] == "A002"
    status = public.get(second["status_api"]).json()
    assert status["state"] == "called" and status["counter"] == 1
    assert status["announcement"]["zh"] == "请A002号到1号窗口办理"


def test_teller_works_a_customer_from_call_to_finish(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    ticket = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()
    teller = staff_client(db, "teller.a")
    base = "/api/v1/lobby/outlets/OUT-A/counters/1"
    teller.post(f"{base}/open")
    assert teller.post(f"{base}/call-next").json()["counter"]["state"] == "serving"
    recalled = teller.post(f"{base}/recall", json={"ticket_id": ticket["id"]}).json()
    assert recalled["ticket"]["call_count"] == 2 and recalled["announcement"]["zh"]
    assert teller.post(f"{base}/start").json()["ticket"]["state"] == "serving"
    done = teller.post(f"{base}/complete", json={"ticket_id": ticket["id"]}).json()
    assert done["ticket"]["outcome"] == "served" and done["counter"]["state"] == "open"
    assert teller.post(f"{base}/call-next").json()["ticket"] is None  # nobody waits
    assert teller.post(f"{base}/pause").json()["counter"]["state"] == "paused"
    paused = teller.post(f"{base}/call-next")
    assert paused.status_code == 409 and paused.json()["error"] == "conflict"
    assert teller.post(f"{base}/resume").json()["counter"]["state"] == "open"
    assert teller.post(f"{base}/close").json()["counter"]["state"] == "closed"

    queue = teller.get("/api/v1/lobby/outlets/OUT-A/queue").json()
    assert queue["today"] == {"issued": 1, "served": 1}
    assert queue["recent_calls"][0]["number"] == "A001"
    with db.session() as session:
        kinds = list(session.scalars(select(LobbyEventRow.kind).order_by(LobbyEventRow.id)))
    assert kinds == [
        "issued",
        "counter_opened",
        "called",
        "recalled",
        "started",
        "completed",
        "rating_prompted",  # the counter's rating pad asks the customer
        "counter_paused",
        "counter_resumed",
        "counter_closed",
    ]


def test_no_show_requeue_transfer_and_cancel(db: Database, lobby: Bank) -> None:
    manager = staff_client(db, "lobby.a")
    issue = "/api/v1/lobby/outlets/OUT-A/tickets"
    a1 = manager.post(issue, json={"service": "A"}).json()
    a2 = manager.post(issue, json={"service": "A"}).json()
    green = manager.post(issue, json={"service": "A", "class": "green"}).json()
    assert green["channel"] == "lobby_manager" and green["class"] == "green"
    base = "/api/v1/lobby/outlets/OUT-A/counters/1"
    manager.post(f"{base}/open")
    # The weighted cycle serves the green ticket first, then the normal line.
    assert manager.post(f"{base}/call-next").json()["ticket"]["number"] == green["number"]
    early = manager.post(f"{base}/no-show")
    assert early.status_code == 409 and "2" in early.json()["message"]
    manager.post(f"{base}/recall")
    assert manager.post(f"{base}/no-show").json()["ticket"]["outcome"] == "no_show"
    back = manager.post(f"/api/v1/lobby/tickets/{green['id']}/requeue").json()
    assert back["state"] == "waiting"

    # Green had its turn; the cycle gives the next call to the normal line.
    assert manager.post(f"{base}/call-next").json()["ticket"]["number"] == a1["number"]
    moved = manager.post(f"{base}/transfer", json={"service": "B"}).json()
    assert moved["ticket"]["number"] == a1["number"] and moved["ticket"]["service"] == "B"
    assert moved["ticket"]["issued_at"] == a1["issued_at"]
    assert manager.post(f"{base}/call-next").json()["ticket"]["number"] == green["number"]
    manager.post(f"{base}/complete")
    status = make_client(db).get(a1["status_api"]).json()
    assert status["service"] == "B" and status["state"] == "waiting"

    cancelled = make_client(db).post(f"/api/v1/public/tickets/{a2['token']}/cancel")
    assert cancelled.status_code == 403  # a browser needs its form token
    public = make_client(db)
    token = public.get("/api/v1/public/outlets/OUT-A/services").json()["csrf_token"]
    cancelled = public.post(
        f"/api/v1/public/tickets/{a2['token']}/cancel", headers={"x-csrf-token": token}
    )
    assert cancelled.json()["outcome"] == "cancelled"


def test_phone_tickets_are_normal_and_rate_limited(db: Database, lobby: Bank) -> None:
    phone = make_client(db)
    services = phone.get("/api/v1/public/outlets/OUT-A/services").json()
    assert [s["code"] for s in services["services"]] == ["A", "B", "C", "K"]
    phone.headers["x-csrf-token"] = services["csrf_token"]
    url = "/api/v1/public/outlets/OUT-A/tickets"
    first = phone.post(url, json={"service": "B"})
    assert first.status_code == 201 and first.json()["channel"] == "phone"
    green = phone.post(url, json={"service": "B", "class": "green"})
    assert green.status_code == 201 and green.json()["class"] == "normal"  # field ignored
    phone.post(url, json={"service": "B"})
    before = snapshot(db)
    limited = phone.post(url, json={"service": "B"})
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert snapshot(db) == before


# --- bad input: a clear 4xx, nothing changed ------------------------------------------


def test_bad_input_is_refused_and_changes_nothing(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    teller = staff_client(db, "teller.a")
    base = "/api/v1/lobby/outlets/OUT-A/counters/1"
    teller.post(f"{base}/open")
    teller.post(f"{base}/call-next")
    teller.post(f"{base}/complete")
    kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    teller.post(f"{base}/call-next")

    staff_client(db, "lobby.a").post("/api/v1/lobby/outlets/OUT-A/counters/2/open")
    other_kiosk = device_client(db, lobby.unit("OUT-B"), "kiosk")
    display = device_client(db, lobby.unit("OUT-A"), "display")
    cases: list[tuple[TestClient, str, str, dict[str, Any] | None, int, str]] = [
        (kiosk, "post", "/device/api/v1/lobby/tickets", {"service": "Z"}, 422, "unknown_service"),
        (kiosk, "post", "/device/api/v1/lobby/tickets", {}, 422, "invalid_input"),
        (kiosk, "post", "/device/api/v1/lobby/tickets", {"service": "A", "class": "x"}, 422, ""),
        (
            other_kiosk,
            "post",
            "/device/api/v1/lobby/tickets",
            {"service": "A", "outlet": "OUT-A"},
            403,
            "forbidden",
        ),
        (display, "post", "/device/api/v1/lobby/tickets", {"service": "A"}, 403, "forbidden"),
        (display, "post", "/device/api/v1/lobby/counters/1/complete", None, 403, "forbidden"),
        (teller, "get", "/api/v1/lobby/outlets/NOPE/queue", None, 404, "not_found"),
        (teller, "get", "/api/v1/lobby/outlets/OUT-B/queue", None, 404, "not_found"),
        (teller, "post", "/api/v1/lobby/outlets/OUT-B/counters/1/open", None, 404, "not_found"),
        (teller, "post", "/api/v1/lobby/outlets/OUT-A/counters/9/open", None, 404, "not_found"),
        (teller, "post", "/api/v1/lobby/outlets/OUT-A/tickets", {"service": "A"}, 403, ""),
        (
            teller,
            "post",
            f"{base}/transfer",
            {"counter": 5},  # counter 5 serves corporate business only
            422,
            "invalid_input",
        ),
        (teller, "post", f"{base}/transfer", {}, 422, "invalid_input"),
        (teller, "post", f"{base}/complete", {"ticket_id": 999999}, 409, "conflict"),
        (teller, "post", f"{base}/call-next", None, 409, "conflict"),
        (teller, "post", f"{base}/close", None, 409, "conflict"),
        # Counter 2 is signed on by the lobby manager, not by this teller.
        (teller, "post", "/api/v1/lobby/outlets/OUT-A/counters/2/call-next", None, 403, ""),
        (teller, "post", "/api/v1/lobby/outlets/OUT-A/counters/3/call-next", None, 409, ""),
        (make_client(db), "get", "/api/v1/public/tickets/nope", None, 404, "not_found"),
    ]
    for client, method, url, body, status, code in cases:
        before = snapshot(db)
        response = (
            getattr(client, method)(url, json=body)
            if body is not None
            else getattr(client, method)(url)
        )
        assert response.status_code == status, (url, body, response.text)
        answer = response.json()
        assert answer["message"], (url, answer)
        if code:
            assert answer["error"] == code, (url, answer)
        assert snapshot(db) == before, (url, body)

    # Completing a ticket twice: the second press finds nobody at the counter.
    first = teller.post(f"{base}/complete")
    assert first.status_code == 200
    before = snapshot(db)
    again = teller.post(f"{base}/complete")
    assert again.status_code == 409 and "当前没有客户" in again.json()["message"]
    assert snapshot(db) == before


def test_outlet_closed_refuses_tickets(db: Database, lobby: Bank) -> None:
    with db.session() as session:
        outlet_id = lobby.unit("OUT-B")
        assert session is not None
    # Opening hours that exclude every moment of the day: a one-minute window at 00:00.
    configure(db, outlet_id, opens=dt.time(0), closes=dt.time(0, 1))
    kiosk = device_client(db, outlet_id, "kiosk")
    before = snapshot(db)
    response = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    if response.status_code == 201:  # the test ran in the single open minute
        pytest.skip("ran at 00:00 local time")
    assert response.status_code == 409 and response.json()["error"] == "outlet_closed"
    assert "00:00" in response.json()["message"]
    assert snapshot(db) == before


def test_errors_are_translated_for_chinese_clients(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    response = teller.post(
        "/api/v1/lobby/outlets/OUT-A/counters/1/call-next",
        headers={"accept-language": "zh-CN"},
    )
    assert response.status_code == 409
    assert response.json()["message"] == "1 号窗口已关闭，请先签到开窗"


def test_calling_pad_works_its_outlets_counters(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/3/open")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    kiosk.post("/device/api/v1/lobby/tickets", json={"service": "B"})
    pad = device_client(db, lobby.unit("OUT-A"), "counter_pad", counter=3)
    called = pad.post("/device/api/v1/lobby/counters/3/call-next").json()
    assert called["ticket"]["number"] == "B001"
    assert pad.post("/device/api/v1/lobby/counters/3/complete").json()["ticket"]["outcome"] == (
        "served"
    )
    assert pad.post("/device/api/v1/lobby/counters/3/close").status_code == 404  # no such route
    other_pad = device_client(db, lobby.unit("OUT-B"), "counter_pad", counter=3)
    closed = other_pad.post("/device/api/v1/lobby/counters/3/call-next")
    assert closed.status_code == 409  # OUT-B's own counter 3, which nobody opened
    # A pad works its own counter only (issue 16 #6): counter 3's pad cannot call at 1.
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    elsewhere = pad.post("/device/api/v1/lobby/counters/1/call-next")
    assert elsewhere.status_code == 403 and "3" in elsewhere.json()["message"]
    board = device_client(db, lobby.unit("OUT-A"), "display")
    queue = board.get("/device/api/v1/lobby/queue").json()
    assert queue["outlet"]["code"] == "OUT-A" and queue["today"]["served"] == 1


def test_staff_actions_are_audited_device_actions_are_not(db: Database, lobby: Bank) -> None:
    from manyi.audit.tables import AuditEvent

    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    teller = staff_client(db, "teller.a")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")
    with db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.seq > before)))
    # Device tokens are issued by an audited admin action; the kiosk's ticket is not audited.
    assert [a for a in actions if a.startswith("lobby.")] == [
        "lobby.counter_opened",
        "lobby.called",
    ]


def test_openapi_lists_the_lobby(db: Database, lobby: Bank) -> None:
    paths = make_client(db).get("/openapi.json").json()["paths"]
    for path in (
        "/device/api/v1/lobby/tickets",
        "/api/v1/public/tickets/{token}",
        "/api/v1/lobby/outlets/{outlet}/queue",
        "/api/v1/lobby/outlets/{outlet}/counters/{number}/call-next",
        "/device/api/v1/lobby/counters/{number}/no-show",
    ):
        assert path in paths, path


def test_branch_head_configures_the_lobby(db: Database, lobby: Bank) -> None:
    head = staff_client(db, "head.a")
    config = head.get("/api/v1/lobby/outlets/OUT-A/config").json()
    assert [c["number"] for c in config["counters"]] == [1, 2, 3, 4, 5]
    config["settings"]["closes_at"] = "18:30"
    config["settings"]["weights"]["green"] = 3
    config["counters"].append({"number": 6, "kind": "flexible", "services": ["A", "K"]})
    config["services"][0]["name_zh"] = "现金业务"
    del config["outlet"], config["settings"]["timezone"]
    saved = head.put("/api/v1/lobby/outlets/OUT-A/config", json=config)
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["closes_at"] == "18:30"
    assert saved.json()["counters"][-1] == {"number": 6, "kind": "flexible", "services": ["A", "K"]}
    assert saved.json()["services"][0]["name_zh"] == "现金业务"

    before = head.get("/api/v1/lobby/outlets/OUT-A/config").json()
    bad_cases = [
        ({"counters": [*config["counters"], {"number": 7, "services": ["Z"]}]}, "counters"),
        ({"services": [{**config["services"][0], "prefix": "aa"}]}, "services.0.prefix"),
        ({"settings": {**config["settings"], "opens_at": "9 am"}}, "settings.opens_at"),
        ({"settings": {**config["settings"], "weights": {"gold": 1}}}, "settings.weights"),
    ]
    for change, field in bad_cases:
        response = head.put("/api/v1/lobby/outlets/OUT-A/config", json={**config, **change})
        assert response.status_code == 422, (change, response.text)
        assert response.json()["field"] == field
    assert head.get("/api/v1/lobby/outlets/OUT-A/config").json() == before

    teller = staff_client(db, "teller.a")
    assert teller.put("/api/v1/lobby/outlets/OUT-A/config", json=config).status_code == 403
    assert head.put("/api/v1/lobby/outlets/OUT-B/config", json=config).status_code == 404
    skills = head.put("/api/v1/lobby/tellers/teller.a/skills", json={"skills": ["corporate"]})
    assert skills.json() == {"username": "teller.a", "skills": ["corporate"]}
    assert head.put("/api/v1/lobby/tellers/teller.b/skills", json={"skills": []}).status_code == 404
