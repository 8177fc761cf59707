"""The inspector's page of suspicious patterns, from real rating-pad answers and surveys."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Unit
from manyi.quality import surveys
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, make_client, signed_in_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_fast_top_scores_and_a_busy_client_are_flagged(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, bank.unit("OUT-A"), "kiosk")
    pad = device_client(db, bank.unit("OUT-A"), "rating_pad", counter=1)
    teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    for _ in range(3):  # the clock stands still: each rating 0 s after its prompt
        kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
        teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/call-next")
        teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/start")
        teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/complete")
        prompt = pad.get("/device/api/v1/lobby/rating-pad/1").json()["prompt"]
        rated = pad.post(
            "/device/api/v1/lobby/ratings",
            json={"prompt_id": prompt["prompt_id"], "score": "very_satisfied"},
        )
        assert rated.status_code == 201
    # One phone answers three surveys (of other visits) the same day.
    with db.session() as session:
        path = session.get_one(Unit, bank.unit("OUT-A")).path
        tokens = [
            surveys.invite(
                session,
                surveys.Visit("complaint", f"c:{n}", bank.unit("OUT-A"), path),
                FIXED_NOW,
                7,
            ).token  # type: ignore[union-attr]
            for n in range(3)
        ]
    phone = make_client(db)
    for token in tokens:
        page = phone.get(f"/s/{token}")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        sent = phone.post(f"/s/{token}", data={"csat": "5", "resolved": "yes", "csrf_token": csrf})
        assert sent.status_code == 200, sent.text
    inspector = signed_in_client(db, "admin")
    page = inspector.get("/quality/flags")
    assert page.status_code == 200
    assert page.text.count('data-kind="fast_top_burst"') == 1 and "teller.a" in page.text
    assert page.text.count('data-kind="busy_client"') == 1
    # A teller's flag links to a misconduct case prefilled with the teller (supervision).
    assert 'data-testid="misconduct-teller.a"' in page.text
    assert "source=survey_flag&amp;ref=fast_top_burst%3Ateller.a%3A" in page.text
    # A teller may not open the page at all.
    assert signed_in_client(db, "teller.b").get("/quality/flags").status_code == 403
    # An inspector of the other tier-1 branch sees none of OUT-A's flags: their scope is BR-B.
    with db.session() as session:
        staff_service.create_staff(
            session,
            SYSTEM,
            username="inspector.b",
            display_name="检查员乙",
            unit_id=bank.unit("BR-B"),
            roles=[Role.INSPECTOR],
            password=PASSWORD,
        )
    other = signed_in_client(db, "inspector.b").get("/quality/flags")
    assert other.status_code == 200
    assert "data-kind=" not in other.text and "teller.a" not in other.text
