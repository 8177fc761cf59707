"""Device tokens through the pages: pads issued for one counter; a token issued (its secret never
stored), opening no staff page, and revoked; an expired token refused; tokens for outlets only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.org import device_tokens as device_service
from manyi.org.tables import DeviceToken
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.web_helpers import csrf_of, make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_pads_are_issued_for_one_counter(db: Database, bank: Bank) -> None:
    """Issue 16 #6: a rating pad or calling pad works one counter, named when issued."""
    client = make_client(db)
    sign_in(client, "head.a", PASSWORD)
    token = csrf_of(client, "/admin/devices")
    form = {
        "csrf_token": token,
        "outlet_id": str(bank.unit("OUT-A")),
        "kind": "rating_pad",
        "name": "3号窗口评价器",
    }
    unbound = client.post("/admin/devices", data=form)
    assert unbound.status_code == 422 and "须绑定一个窗口" in unbound.text
    for bad in ("0", "1000", "²"):
        assert client.post("/admin/devices", data={**form, "counter": bad}).status_code == 422
    kiosk = client.post("/admin/devices", data={**form, "kind": "kiosk", "counter": "3"})
    assert kiosk.status_code == 422 and "只有评价器和叫号器绑定窗口" in kiosk.text
    issued = client.post("/admin/devices", data={**form, "counter": "3"})
    assert issued.status_code == 201 and "3 号窗口" in issued.text
    with db.session() as session:
        rows = session.scalars(select(DeviceToken)).all()
        assert [(r.kind, r.counter_number) for r in rows] == [("rating_pad", 3)]


def test_device_tokens(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "head.a", PASSWORD)
    token = csrf_of(client, "/admin/devices")
    response = client.post(
        "/admin/devices",
        data={
            "csrf_token": token,
            "outlet_id": str(bank.unit("OUT-A")),
            "kind": "display",
            "name": "大厅叫号屏",
            "valid_days": "30",
        },
    )
    assert response.status_code == 201
    secret = response.text.split('data-testid="secret">')[1].split("<")[0]
    assert secret.startswith("mdt_")
    with db.session() as session:
        row = session.scalar(select(DeviceToken))
        assert row is not None and secret not in (row.token_hash, row.token_prefix)
        token_id = row.id
    device = make_client(db)
    who = device.get("/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert who.status_code == 200 and who.json()["outlet"]["name_zh"] == "甲网点"
    # A device token opens no staff page.
    assert device.get("/", headers={"Authorization": f"Bearer {secret}"}).status_code == 303
    assert (
        device.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    # Head of outlet A cannot issue for outlet B.
    response = client.post(
        "/admin/devices",
        data={
            "csrf_token": token,
            "outlet_id": str(bank.unit("OUT-B")),
            "kind": "kiosk",
            "name": "x",
        },
    )
    assert response.status_code == 404
    assert (
        client.post(f"/admin/devices/{token_id}/revoke", data={"csrf_token": token}).status_code
        == 303
    )
    who = device.get("/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert who.status_code == 401 and who.json()["message"] == "device token revoked"
    assert (
        device.get(
            "/device/api/v1/whoami", headers={"Authorization": "Bearer mdt_wrong"}
        ).status_code
        == 401
    )


def test_expired_device_token(db: Database, bank: Bank, frozen_clock: dt.datetime) -> None:
    past = frozen_clock - dt.timedelta(days=40)  # valid 30 days: expired at the app's now
    with db.session() as session:
        _, secret = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-A"),
            kind="kiosk",
            name="旧取号机",
            valid_days=30,
            now=past,
        )
    response = make_client(db).get(
        "/device/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401 and response.json()["message"] == "device token expired"


def test_device_token_bound_to_outlets_only(db: Database, bank: Bank) -> None:
    from manyi.errors import InvalidInput

    with pytest.raises(InvalidInput), db.session() as session:
        device_service.issue_token(
            session, SYSTEM, outlet_id=bank.unit("BR-A"), kind="kiosk", name="x", valid_days=None
        )
