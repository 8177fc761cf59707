"""The device lane (`lobby/web/device_lane.py`) answers a kiosk's ticket and a calling pad's
call-next and complete exactly as their endpoints do, and hands anything unusual to them."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.db import Database
from tests.conftest import Bank
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_the_lane_answers_as_the_endpoints_do(
    db: Database, bank: Bank, lane_taken: list[str]
) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    staff_client(db, "teller.a").post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    kiosk = device_client(db, outlet, "kiosk")
    pad = device_client(db, outlet, "counter_pad", counter=1)
    tickets = "/device/api/v1/lobby/tickets"

    first = kiosk.post(tickets, json={"service": "A"})  # a token not seen yet: the endpoint
    second = kiosk.post(tickets, json={"service": "A"})  # seen a moment ago: the lane
    assert lane_taken == [tickets]
    assert first.status_code == second.status_code == 201
    assert first.json().keys() == second.json().keys()
    assert (first.json()["number"], second.json()["number"]) == ("A001", "A002")
    assert second.json()["people_ahead"] == 1
    for name in ("content-security-policy", "x-frame-options", "content-type"):
        assert first.headers[name] == second.headers[name]

    pad_path = "/device/api/v1/lobby/counters/1"
    called = pad.post(f"{pad_path}/call-next")  # the pad's first request: the endpoint
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A001"
    done = pad.post(f"{pad_path}/complete", json={"ticket_id": called.json()["ticket"]["id"]})
    assert done.status_code == 200 and done.json()["counter"]["current_ticket_id"] is None
    again = pad.post(f"{pad_path}/call-next")
    assert again.json()["ticket"]["number"] == "A002"
    assert pad.post(f"{pad_path}/complete").status_code == 200  # no body: the current one
    assert lane_taken == [
        tickets,
        *(f"{pad_path}/{a}" for a in ("complete", "call-next", "complete")),
    ]


def test_the_unusual_goes_to_the_endpoint_and_errors_read_the_same(
    db: Database, bank: Bank, lane_taken: list[str]
) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    kiosk = device_client(db, outlet, "kiosk")
    tickets = "/device/api/v1/lobby/tickets"
    kiosk.post(tickets, json={"service": "A"})
    assert kiosk.post(tickets, json={"service": "A"}).status_code == 201
    lane_taken.clear()

    # A body the model refuses: the endpoint's own 422, naming the field.
    refused = kiosk.post(tickets, json={"service": "A", "class": "royal"})
    assert refused.status_code == 422 and refused.json()["field"] == "class"
    # Not JSON at all.
    garbled = kiosk.post(tickets, content=b"service=A", headers={"content-type": "text/plain"})
    assert garbled.status_code == 422
    # A cookie, or a body larger than a device sends: the whole app, which answers as ever.
    cookie = kiosk.post(tickets, json={"service": "A"}, headers={"cookie": "manyi_session=x"})
    padded = kiosk.post(tickets, json={"service": "A", "outlet": "OUT-A" + " " * 5000})
    assert cookie.status_code == 201 and padded.status_code in (201, 422)
    assert lane_taken == []

    # A use case's refusal raised in the lane reads as from the endpoint (the app's handlers),
    # with the same security headers.
    unknown = kiosk.post(tickets, json={"service": "Z"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_service"
    assert unknown.headers["x-frame-options"] == "SAMEORIGIN"
    assert unknown.headers["x-request-id"]
    assert lane_taken == [tickets]

    # No token, or one never seen: the endpoint refuses it.
    assert (
        kiosk.post(tickets, json={"service": "A"}, headers={"authorization": ""}).json()["error"]
        == "device_denied"
    )
    stranger = kiosk.post(
        tickets, json={"service": "A"}, headers={"authorization": "Bearer mny_nope"}
    )
    assert stranger.status_code == 401
    # A counter number past any id: the id guard answers before any route.
    assert (
        kiosk.post("/device/api/v1/lobby/counters/99999999999999999999/complete").status_code == 404
    )
