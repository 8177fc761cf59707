"""The APIs behind the lobby screens: rating pad, teller figures, dashboard and its actions."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.db import Database
from manyi.errors import Conflict
from manyi.lobby import rating
from manyi.lobby.service import Operator
from manyi.lobby.tables import LobbyAlert, LobbyCounter, Rating, RatingPrompt
from manyi.notify.tables import NotifyMessage
from manyi.org.tables import DeviceToken
from tests.conftest import Bank, add_staff
from tests.lobby_helpers import configure
from tests.web_helpers import device_client, staff_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    for side in ("A", "B"):
        configure(db, bank.unit(f"OUT-{side}"), opens=dt.time(0), closes=None)
    add_staff(db, bank, "lobby.a", "teller.a2")
    return bank


def serve_one(teller: TestClient, kiosk: TestClient, counter: int = 1) -> dict[str, object]:
    """A kiosk ticket called, served and completed at `counter` by `teller`."""
    kiosk.post("/device/api/v1/lobby/tickets", json={"service": "A"})
    teller.post(f"/api/v1/lobby/outlets/OUT-A/counters/{counter}/open")
    called = teller.post(f"/api/v1/lobby/outlets/OUT-A/counters/{counter}/call-next").json()
    teller.post(f"/api/v1/lobby/outlets/OUT-A/counters/{counter}/start")
    done = teller.post(f"/api/v1/lobby/outlets/OUT-A/counters/{counter}/complete")
    assert done.status_code == 200, done.text
    return dict(called["ticket"])


def test_completion_prompts_the_pad_and_one_rating_is_kept(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    pad = device_client(db, lobby.unit("OUT-A"), "rating_pad", counter=1)
    ticket = serve_one(teller, kiosk)
    state = pad.get("/device/api/v1/lobby/rating-pad/1").json()
    prompt = state["prompt"]
    assert prompt["number"] == ticket["number"] and state["rating_window_s"] == 30
    assert pad.get("/device/api/v1/lobby/rating-pad/2").status_code == 403  # not its counter
    bad = pad.post(
        "/device/api/v1/lobby/ratings", json={"prompt_id": prompt["prompt_id"], "score": "great"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "score"
    answer = pad.post(
        "/device/api/v1/lobby/ratings",
        json={"prompt_id": prompt["prompt_id"], "score": "dissatisfied", "reason": "long_wait"},
    )
    assert answer.status_code == 201, answer.text
    again = pad.post(
        "/device/api/v1/lobby/ratings",
        json={"prompt_id": prompt["prompt_id"], "score": "very_satisfied"},
    )
    assert again.status_code == 409
    assert pad.get("/device/api/v1/lobby/rating-pad/1").json()["prompt"] is None
    with db.session() as session:
        kept = session.scalars(select(Rating)).all()
        assert [(r.score, r.reason) for r in kept] == [("dissatisfied", "long_wait")]
        assert session.scalar(select(func.count()).select_from(RatingPrompt)) == 1

    manager = staff_client(db, "lobby.a")
    board = manager.get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
    alerts = [a for a in board["alerts"] if a["kind"] == "dissatisfied_rating"]
    assert len(alerts) == 1 and alerts[0]["number"] == ticket["number"]
    assert board["ratings"] == {
        "served": 1,
        "prompted": 1,
        "answered": 1,
        "dissatisfied": 1,
        "prompted_share": 1.0,
        "answered_share": 1.0,
    }
    assert (
        teller.post(
            f"/api/v1/lobby/outlets/OUT-A/alerts/{alerts[0]['alert_id']}/acknowledge"
        ).status_code
        == 403
    )
    ack = manager.post(f"/api/v1/lobby/outlets/OUT-A/alerts/{alerts[0]['alert_id']}/acknowledge")
    assert ack.status_code == 200
    after = manager.get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
    assert not [a for a in after["alerts"] if a["kind"] == "dissatisfied_rating"]


def test_nobody_but_a_pad_of_the_outlet_rates(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    serve_one(teller, kiosk)
    with db.session() as session:
        prompt_id = session.scalar(select(RatingPrompt.id))
    body = {"prompt_id": prompt_id, "score": "very_satisfied"}
    assert teller.post("/device/api/v1/lobby/ratings", json=body).status_code == 401
    assert kiosk.post("/device/api/v1/lobby/ratings", json=body).status_code == 403
    other_pad = device_client(db, lobby.unit("OUT-B"), "rating_pad", counter=1)
    # Counter 2's pad at the same outlet cannot answer counter 1's request either.
    neighbour = device_client(db, lobby.unit("OUT-A"), "rating_pad", counter=2)
    assert neighbour.post("/device/api/v1/lobby/ratings", json=body).status_code == 403
    assert other_pad.post("/device/api/v1/lobby/ratings", json=body).status_code == 404
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 0


def test_only_the_serving_teller_shows_the_prompt_again(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    serve_one(teller, kiosk)
    other = staff_client(db, "teller.a2")
    refused = other.post("/api/v1/lobby/outlets/OUT-A/counters/1/rating-prompt")
    assert refused.status_code == 403
    assert teller.post("/api/v1/lobby/outlets/OUT-A/counters/2/rating-prompt").status_code == 404
    shown = teller.post("/api/v1/lobby/outlets/OUT-A/counters/1/rating-prompt")
    assert shown.status_code == 200
    with db.session() as session:
        assert session.scalar(select(RatingPrompt.times_shown)) == 2


def test_answers_outside_the_window_are_refused(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    serve_one(teller, device_client(db, lobby.unit("OUT-A"), "kiosk"))
    with db.session() as session:
        prompt = session.scalars(select(RatingPrompt)).one()
        token = session.scalars(select(DeviceToken)).first()
        assert token is not None
        pad = Operator(
            name="pad",
            device_id=token.id,
            device_kind="rating_pad",
            device_outlet_id=prompt.outlet_id,
            device_counter=1,
        )
        late = prompt.expires_at + dt.timedelta(seconds=1)
        with pytest.raises(Conflict):
            rating.answer(session, pad, prompt.id, "satisfied", None, late)
        assert (prompt.expires_at - prompt.prompted_at).total_seconds() == 30
        just_in_time = prompt.expires_at - dt.timedelta(seconds=1)
        assert (
            rating.answer(session, pad, prompt.id, "satisfied", None, just_in_time).alert_id is None
        )


def test_teller_figures_and_service_level(db: Database, lobby: Bank) -> None:
    teller = staff_client(db, "teller.a")
    kiosk = device_client(db, lobby.unit("OUT-A"), "kiosk")
    serve_one(teller, kiosk)
    serve_one(teller, kiosk)
    me = teller.get("/api/v1/lobby/outlets/OUT-A/me").json()
    assert (me["counter"], me["served_today"]) == (1, 2)
    assert me["average_service_s"] is not None and me["average_service_s"] >= 0
    board = teller.get("/api/v1/lobby/outlets/OUT-A/dashboard").json()
    level = board["service_level"]
    assert (level["called"], level["within"], level["share"]) == (2, 2, 1.0)
    counter = next(c for c in board["counters"] if c["number"] == 1)
    assert counter["state"] == "open" and counter["idle_s"] is not None
    assert (
        staff_client(db, "teller.b").get("/api/v1/lobby/outlets/OUT-A/dashboard").status_code == 404
    )


def test_manager_changes_services_and_pages_staff(db: Database, lobby: Bank) -> None:
    manager = staff_client(db, "lobby.a")
    teller = staff_client(db, "teller.a")
    changed = manager.put(
        "/api/v1/lobby/outlets/OUT-A/counters/4/services", json={"services": ["K", "B"]}
    )
    assert changed.status_code == 200 and changed.json()["counter"]["services"] == ["K", "B"]
    for bad in ({"services": []}, {"services": ["Z"]}):
        refused = manager.put("/api/v1/lobby/outlets/OUT-A/counters/4/services", json=bad)
        assert refused.status_code == 422 and refused.json()["field"] == "services"
    assert (
        teller.put(
            "/api/v1/lobby/outlets/OUT-A/counters/4/services", json={"services": ["A"]}
        ).status_code
        == 403
    )
    with db.session() as session:
        row = session.scalars(
            select(LobbyCounter).where(
                LobbyCounter.number == 4, LobbyCounter.outlet_id == lobby.unit("OUT-A")
            )
        ).one()
        assert row.services == ["K", "B"]
    people = manager.get("/api/v1/lobby/outlets/OUT-A/staff").json()
    second_line = [p["id"] for p in people if p["username"] in ("teller.a2", "head.a")]
    assert len(second_line) == 2
    paged = manager.post(
        "/api/v1/lobby/outlets/OUT-A/pages",
        json={"staff": second_line, "message": "大堂客户较多，请到 4 号弹性窗口支援"},
    )
    assert paged.status_code == 201, paged.text
    assert len(paged.json()["messages"]) == 2
    empty = manager.post("/api/v1/lobby/outlets/OUT-A/pages", json={"staff": [], "message": "x"})
    assert empty.status_code == 422
    with db.session() as session:
        rows = session.scalars(select(NotifyMessage)).all()
        assert sorted(r.recipient_staff_id for r in rows) == sorted(second_line)
        assert all("4 号弹性窗口" in r.body for r in rows)
        assert session.scalar(select(func.count()).select_from(LobbyAlert)) == 0


def test_dashboard_alerts_for_long_waits_and_idle_counters(db: Database, lobby: Bank) -> None:
    from manyi.lobby import counters, dashboard, service
    from manyi.org.tables import Unit
    from tests.lobby_helpers import T0, operator

    # A counter's idle time runs from when the use cases last changed it, by their `now`, not
    # by the process clock (hours away here): counter 5's services change at `start`.
    frozen_clock = T0 - dt.timedelta(hours=3)
    start = frozen_clock - dt.timedelta(minutes=15)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.open_counter(session, teller, "OUT-A", 5, start)  # serves C only
        for _ in range(2):
            service.issue_ticket(session, operator(session, "lobby.a"), "OUT-A", "A", start)
    later = frozen_clock + dt.timedelta(minutes=2)
    with db.session() as session:
        counters.set_services(session, operator(session, "lobby.a"), "OUT-A", 5, ["C", "A"], start)
    with db.session() as session:
        board = dashboard.dashboard(session, session.get_one(Unit, lobby.unit("OUT-A")), later)
    kinds = {a["kind"]: a for a in board.alerts}
    assert kinds["wait_over_target"]["service"] == "A"
    assert kinds["wait_over_target"]["longest_wait_s"] > 600
    assert kinds["idle_counter"]["counter"] == 5 and kinds["idle_counter"]["waiting"] == 2
    level = board.level
    assert (level.called, level.still_waiting_over, level.share) == (0, 2, 0.0)
    with db.session() as session:
        called = counters.call_next(session, operator(session, "teller.a"), "OUT-A", 5, later)
        assert called.ticket is not None
        board = dashboard.dashboard(session, session.get_one(Unit, lobby.unit("OUT-A")), later)
    assert "idle_counter" not in {a["kind"] for a in board.alerts}
    assert (board.level.called, board.level.within) == (1, 0)  # called, but after 17 min
