"""Checking in by the appointment link "when near the outlet": the outlet's position (set by
its administrator), the outlet's radius, and the position the customer's phone gives; the page's
form and the app's JSON API. Refusals store nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi import demo
from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Unit
from manyi.reach.appointment_tables import Appointment
from tests.appointment_helpers import book, configure, plugged
from tests.conftest import FIXED_NOW, Bank
from tests.web_helpers import csrf_of, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TODAY_1130 = FIXED_NOW + dt.timedelta(minutes=90)
OUTLET = (39.98370, 116.31560)  # outlet A stands where the demo's 中关村 does
NEAR = {"latitude": 39.98500, "longitude": 116.31560}  # ~145 m north
FAR = {"latitude": 39.99500, "longitude": 116.31560}  # ~1,257 m north


@pytest.fixture
def outlet(db: Database, bank: Bank) -> int:
    configure(db, bank.unit("OUT-A"))
    return bank.unit("OUT-A")


def _place(db: Database, outlet: int) -> None:
    admin = staff_client(db, "admin")
    answer = admin.patch(
        f"/api/v1/units/{outlet}", json={"latitude": OUTLET[0], "longitude": OUTLET[1]}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["latitude"], answer.json()["longitude"]) == OUTLET


def _booked_at_1130(db: Database, time_machine: time_machine.TimeMachineFixture) -> str:
    with plugged() as notices:
        booked = book(db, notices, FIXED_NOW, TODAY_1130)
    time_machine.shift(dt.timedelta(minutes=70))  # 11:10: the window is open
    return booked.token


def _tickets(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(LobbyTicket)) or 0)


def _state(db: Database) -> str:
    with db.session() as session:
        return session.scalars(select(Appointment.state)).one()


def _api(db: Database) -> TestClient:
    client = make_client(db)
    client.headers["x-csrf-token"] = client.get(
        "/api/v1/appointments/outlets/OUT-A/services/A/slots"
    ).json()["csrf_token"]
    return client


def test_the_administrator_sets_an_outlets_position_checked(
    db: Database, outlet: int, bank: Bank
) -> None:
    admin = staff_client(db, "admin")
    for body, field in (
        ({"latitude": 91, "longitude": 116}, "latitude"),
        ({"latitude": 39.9, "longitude": -181}, "longitude"),
        ({"latitude": 39.9}, "longitude"),  # one without the other
    ):
        refused = admin.patch(f"/api/v1/units/{outlet}", json=body)
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    with db.session() as session:
        assert session.get_one(Unit, outlet).latitude is None
    # The unit page: a bad number is refused naming the field, nothing stored.
    page = f"/admin/units/{outlet}"
    form = {
        "csrf_token": csrf_of(admin, page),
        "name_zh": "甲网点",
        "timezone": "Asia/Shanghai",
        "customers_served": "0",
        "active": "on",
    }
    bad = admin.post(page, data={**form, "latitude": "39.9度", "longitude": "116.3"})
    assert bad.status_code == 422 and "latitude" in bad.text
    half = admin.post(page, data={**form, "latitude": "39.9", "longitude": ""})
    assert half.status_code == 422
    with db.session() as session:
        assert session.get_one(Unit, outlet).latitude is None
    saved = admin.post(page, data={**form, "latitude": "39.98370", "longitude": "116.31560"})
    assert saved.status_code == 303
    shown = admin.get(page).text
    assert 'value="39.9837"' in shown and 'value="116.3156"' in shown
    with db.session() as session:
        unit = session.get_one(Unit, outlet)
        assert (unit.latitude, unit.longitude) == OUTLET
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "unit.updated").order_by(AuditEvent.seq)
        ).all()[-1]
        after = json.loads(event.summary)["after"]
        assert (after["latitude"], after["longitude"]) == OUTLET
    # Both empty clear it; an explicit null does on the API.
    admin.post(page, data={**form, "latitude": "", "longitude": ""})
    with db.session() as session:
        assert session.get_one(Unit, outlet).latitude is None
    _place(db, outlet)
    cleared = admin.patch(f"/api/v1/units/{outlet}", json={"latitude": None, "longitude": None})
    assert cleared.json()["latitude"] is None
    # A branch's page asks no position (only outlets have one).
    assert 'name="latitude"' not in admin.get(f"/admin/units/{bank.unit('SUB-A')}").text


def test_near_the_outlet_the_link_checks_in(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    _place(db, outlet)
    token = _booked_at_1130(db, time_machine)
    client = make_client(db)
    link = f"/a/{token}"
    page = client.get(link).text
    assert "data-near-checkin" in page and "/static/js/appointment_checkin.js" in page
    assert "500 米" in page  # the page says the radius before the phone asks
    done = client.post(link + "/check-in", data={"csrf_token": csrf_of(client, link), **NEAR})
    assert done.status_code == 303
    assert _state(db) == "checked_in" and _tickets(db) == 1
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.checked_in")
        ).one()
        assert json.loads(event.summary)["distance_m"] == 145
        assert "39.985" not in str(event.summary)  # the customer's position is not kept


def test_too_far_or_without_a_position_the_link_sends_to_the_kiosk(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    _place(db, outlet)
    token = _booked_at_1130(db, time_machine)
    client = make_client(db)
    link = f"/a/{token}"
    csrf = csrf_of(client, link)
    far = client.post(link + "/check-in", data={"csrf_token": csrf, **FAR})
    assert far.status_code == 409
    assert "您距离网点约 1257 米" in far.text and "请到网点后用取号机签到" in far.text
    assert f'href="{link}"' in far.text  # back to the code for the kiosk
    unknown = client.post(link + "/check-in", data={"csrf_token": csrf})
    assert unknown.status_code == 409 and "取号机" in unknown.text
    empty = client.post(link + "/check-in", data={"csrf_token": csrf, "latitude": ""})
    assert empty.status_code == 409
    for bad in (
        {"latitude": "abc", "longitude": "116.3"},
        {"latitude": "39.9", "longitude": ""},
        {"latitude": "95", "longitude": "116.3"},
        {"latitude": "nan", "longitude": "116.3"},
    ):
        refused = client.post(link + "/check-in", data={"csrf_token": csrf, **bad})
        assert refused.status_code == 422, bad
    assert _state(db) == "booked" and _tickets(db) == 0
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "appointment")
        ).all()
        assert "appointment.checked_in" not in actions
    # The kiosk, the place-bound path, still checks the same appointment in.
    near = client.post(link + "/check-in", data={"csrf_token": csrf, **NEAR})
    assert near.status_code == 303 and _tickets(db) == 1


def test_an_outlet_without_a_position_or_with_radius_0_checks_in_by_time_only(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    token = _booked_at_1130(db, time_machine)
    client = make_client(db)
    link = f"/a/{token}"
    page = client.get(link).text
    assert "data-near-checkin" not in page and "appointment_checkin.js" not in page
    # A position sent anyway is not needed; a far one does not matter without an outlet's.
    done = client.post(link + "/check-in", data={"csrf_token": csrf_of(client, link), **FAR})
    assert done.status_code == 303 and _state(db) == "checked_in"


def test_radius_0_switches_the_position_off(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    _place(db, outlet)
    head = staff_client(db, "head_a")
    for bad in (-1, 5001, 1.5, "far"):
        refused = head.put("/api/v1/appointments/rules/OUT-A", json={"checkin_radius_m": bad})
        assert refused.status_code == 422 and refused.json()["field"] == "checkin_radius_m", bad
    assert head.get("/api/v1/appointments/rules/OUT-A").json()["checkin_radius_m"] == 500
    saved = head.put("/api/v1/appointments/rules/OUT-A", json={"checkin_radius_m": 0})
    assert saved.status_code == 200 and saved.json()["checkin_radius_m"] == 0
    token = _booked_at_1130(db, time_machine)
    api = _api(db)
    assert api.get(f"/api/v1/appointments/{token}").json()["checkin_radius_m"] == 0
    done = api.post(f"/api/v1/appointments/{token}/check-in")
    assert done.status_code == 200 and _state(db) == "checked_in"


def test_the_api_checks_in_with_latitude_and_longitude(
    db: Database, outlet: int, time_machine: time_machine.TimeMachineFixture
) -> None:
    _place(db, outlet)
    head = staff_client(db, "head_a")
    head.put("/api/v1/appointments/rules/OUT-A", json={"checkin_radius_m": 200})
    token = _booked_at_1130(db, time_machine)
    api = _api(db)
    path = f"/api/v1/appointments/{token}/check-in"
    assert api.get(f"/api/v1/appointments/{token}").json()["checkin_radius_m"] == 200
    none = api.post(path)
    assert none.status_code == 409 and none.json()["error"] == "no_position"
    assert api.post(path, json={}).json()["error"] == "no_position"
    far = api.post(path, json=NEAR | {"latitude": 39.98600})  # ~256 m: past 200
    assert far.status_code == 409 and far.json()["error"] == "too_far"
    assert far.json()["field"] == "position" and "256" in far.json()["message"]
    for bad, status in (
        ({"latitude": 91, "longitude": 116.3}, 422),
        ({"latitude": "north", "longitude": 116.3}, 422),
        ({"latitude": 39.9}, 422),
    ):
        refused = api.post(path, json=bad)
        assert refused.status_code == status, (bad, refused.text)
    assert _state(db) == "booked" and _tickets(db) == 0
    done = api.post(path, json=NEAR)
    assert done.status_code == 200 and done.json()["number"].startswith("A")
    assert _state(db) == "checked_in"
    schema = api.get("/openapi.json").json()
    assert "latitude" in str(schema["components"]["schemas"]["LinkCheckInIn"])


def test_the_demo_outlets_have_positions_and_an_older_demo_gets_them(db: Database) -> None:
    with db.session() as session:
        demo.seed(session, password="Demo-pass-2026")
        zgc = session.scalars(select(Unit).where(Unit.code == "BJ-HD-ZGC")).one()
        assert (zgc.latitude, zgc.longitude) == (39.98370, 116.31560)
        outlets = session.scalars(select(Unit).where(Unit.level == "outlet")).all()
        assert all(u.latitude is not None for u in outlets)
        for unit in outlets:  # a demo bank seeded before positions
            unit.latitude = unit.longitude = None
    with db.session() as session:
        demo.seed(session, password="Demo-pass-2026")
        ljz = session.scalars(select(Unit).where(Unit.code == "SH-PD-LJZ")).one()
        assert (ljz.latitude, ljz.longitude) == (31.23790, 121.49940)
