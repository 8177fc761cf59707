"""Surveys reach the customer through the lobby (quality behind `lobby.ports.SurveyPort`): the
ticket's status page after a served visit, and the rating pad's QR code after its question. The
pad answers only for the visit its counter has just served."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.lobby.tables import LobbyTicket, Rating, RatingPrompt
from manyi.quality.survey_tables import SurveyInvitation
from tests.conftest import Bank
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    return bank


def test_a_served_ticket_shows_its_survey_on_the_status_page_and_the_pad(
    db: Database, lobby: Bank
) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    pad = device_client(db, lobby.unit("OUT-A"), "rating_pad", counter=1)
    issued = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()
    token = issued["token"] if "token" in issued else issued["ticket"]["token"]
    customer = make_client(db)
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")
    waiting = customer.get(f"/api/v1/public/tickets/{token}").json()
    assert waiting["survey_url"] is None  # not before the visit is over
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/start")
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/complete").status_code == 200
    # Invited at once, in the completion's unit of work: no wait for the worker's scan.
    status = customer.get(f"/api/v1/public/tickets/{token}").json()
    assert status["survey_url"].startswith("/s/")
    page = customer.get(f"/t/{token}")
    assert "请评价本次服务" in page.text and f"{status['survey_url']}?via=status_page" in page.text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 1

    prompt = pad.get("/device/api/v1/lobby/rating-pad/1").json()["prompt"]
    rated = pad.post(
        "/device/api/v1/lobby/ratings",
        json={"prompt_id": prompt["prompt_id"], "score": "very_satisfied"},
    )
    assert rated.status_code == 201 and rated.json()["survey_url"] == status["survey_url"]
    qr = pad.get(f"{status['survey_url']}/qr.svg?via=rating_pad")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr.text
    assert pad.get("/s/unknown-token/qr.svg").status_code == 404
    # The pad itself (a device token) cannot answer the survey: customers answer on their phones.
    assert pad.get(status["survey_url"]).status_code == 403
    # Answered from the customer's phone, the status page stops offering it.
    survey = customer.get(f"{status['survey_url']}?via=rating_pad")
    assert survey.status_code == 200
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 1


def test_no_survey_for_a_ticket_that_was_not_served(db: Database, lobby: Bank) -> None:
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    issued = kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"}).json()
    token = issued["token"] if "token" in issued else issued["ticket"]["token"]
    customer = make_client(db)
    page = customer.get(f"/t/{token}")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    cancelled = customer.post(
        f"/api/v1/public/tickets/{token}/cancel", headers={"x-csrf-token": csrf}
    )
    assert cancelled.status_code == 200, cancelled.text
    status = customer.get(f"/api/v1/public/tickets/{token}").json()
    assert status["state"] == "finished" and status["survey_url"] is None
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0


def test_the_pad_cannot_rate_a_visit_once_its_counter_serves_the_next(
    db: Database, lobby: Bank
) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    pad = device_client(db, lobby.unit("OUT-A"), "rating_pad", counter=1)
    for _ in range(2):
        kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/start")
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/complete")
    with db.read() as session:
        first = session.scalar(select(RatingPrompt.id))
    # The teller calls the next customer at once; the first one's rating can no longer be given.
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next").status_code == 200
    late = pad.post(
        "/device/api/v1/lobby/ratings", json={"prompt_id": first, "score": "very_satisfied"}
    )
    assert late.status_code == 409
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 0
        assert session.scalar(select(func.count()).select_from(LobbyTicket)) == 2
