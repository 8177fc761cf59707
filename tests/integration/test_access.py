"""Every route, every persona: allowed answers show only in-scope data;
denied answers are 403 or a redirect to sign-in; never 500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.counter import catalogue_store
from manyi.db import Database
from manyi.lobby import service as lobby_service
from manyi.org import device_tokens as device_service
from manyi.web.app import api_routes
from manyi.web.security import access_of
from tests.conftest import FIXED_NOW, PERSONAS, SYSTEM, Bank, add_staff, scope_units
from tests.lobby_helpers import configure, operator
from tests.web_helpers import csrf_of, make_client, signed_in_client

ANONYMOUS = "anonymous"
ALL_PERSONAS = [*PERSONAS, ANONYMOUS]


def _walk(dependant: object) -> Iterator[object]:
    call = getattr(dependant, "call", None)
    if call is not None:
        yield call
    for sub in getattr(dependant, "dependencies", []):
        yield from _walk(sub)


def test_every_route_declares_its_access(db: Database) -> None:
    app = make_client(db).app
    undeclared = []
    routes = list(api_routes(app.routes))  # type: ignore[attr-defined]
    assert len(routes) > 20
    for route in routes:
        if route.path == "/docs":
            continue
        kinds = [access_of(c) for c in _walk(route.dependant) if access_of(c)]  # type: ignore[arg-type]
        if len(kinds) != 1:
            undeclared.append(f"{sorted(route.methods)} {route.path}: {kinds}")
    assert not undeclared, "routes without exactly one access declaration:\n" + "\n".join(
        undeclared
    )


def concrete_paths(db: Database, bank: Bank) -> list[tuple[str, str]]:
    """(method, path) for every route, with ids of outlet A's and outlet B's objects."""
    with db.session() as session:
        token_a, _ = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-A"),
            kind="kiosk",
            name="甲取号机",
            valid_days=30,
        )
        token_b, _ = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-B"),
            kind="kiosk",
            name="乙取号机",
            valid_days=30,
        )
        token_ids = {"A": token_a.id, "B": token_b.id}
    complaints = {}
    for side in ("A", "B"):
        with db.session() as session:
            form = intake.ComplaintForm(
                intake="counter",
                subject=f"{side}网点投诉",
                description="等候时间过长",
                complainant_name="王五",
                complainant_phone="13812345678",
                responsible_unit_id=bank.unit(f"OUT-{side}"),
            )
            unit = bank.unit(f"OUT-{side}")
            done = intake.register(
                session, system_caller("test"), form, FIXED_NOW, registered_unit_id=unit
            )
            complaints[side] = done.complaint.id
    tickets, public_tokens = {}, {}
    for side in ("A", "B"):
        configure(db, bank.unit(f"OUT-{side}"), opens=dt.time(0), closes=None)
        with db.session() as session:
            issued = lobby_service.issue_ticket(
                session, operator(session, "admin"), f"OUT-{side}", "A", FIXED_NOW
            )
            tickets[side], public_tokens[side] = issued.ticket.id, issued.public_token
    ids = {
        "outlet": {"A": "OUT-A", "B": "OUT-B"},
        "outlet_code": {"A": "OUT-A", "B": "OUT-B"},
        "number": {"A": 1, "B": 1},
        "ticket_id": tickets,
        "token": public_tokens,
        "username": {"A": "teller.a", "B": "teller.b"},
        "unit_id": {"A": bank.unit("OUT-A"), "B": bank.unit("OUT-B")},
        "staff_id": {"A": bank.staff["teller_a"], "B": bank.staff["teller_b"]},
        "token_id": token_ids,
        "code": {"A": "en", "B": "zh-CN"},
        "counter": {"A": 1, "B": 1},
        "alert_id": {"A": 1, "B": 2},
        "message_id": {"A": 1, "B": 2},
        "reference": {"A": "TS202601010000001", "B": "TS202601010000002"},
        "complaint_id": complaints,
        "attachment_id": {"A": 1, "B": 2},
        "consultation_id": {"A": 1, "B": 2},
        "request_id": {"A": 1, "B": 2},
        "tx_code": {"A": "deposit", "B": "withdrawal"},
        "change_id": {"A": 1, "B": 2},
        "version": {"A": 1, "B": 1},
        "trigger": {"A": "ticket", "B": "complaint"},
    }
    app = make_client(db).app
    paths = []
    for route in api_routes(app.routes):  # type: ignore[attr-defined]
        names = re.findall(r"{(\w+)}", route.path)
        for side in ("A", "B") if names else ("",):
            path = route.path
            for name in names:
                path = path.replace("{" + name + "}", str(ids[name][side]))
            for method in sorted(route.methods):
                if path.endswith("/events"):
                    continue  # event streams never end: test_lobby_stream checks their access
                paths.append((method, path))
    return paths


def customer_page(path: str) -> bool:
    """Ticket, complaint, pre-fill and survey pages for customers; /complaints (staff pages)
    is not one."""
    return path == "/complaint" or path.startswith(
        ("/api/v1/public/", "/t/", "/complaint/", "/prefill/", "/s/")
    )


def client_for(db: Database, persona: str) -> TestClient:
    return make_client(db) if persona == ANONYMOUS else signed_in_client(db, persona)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_every_route_for_persona(
    db: Database, bank: Bank, persona: str, frozen_clock: dt.datetime
) -> None:
    client = client_for(db, persona)
    token = (
        csrf_of(client, "/signin") if persona == ANONYMOUS else csrf_of(client, "/account/password")
    )
    outside = set() if persona == ANONYMOUS else scope_units(db, persona)[1]
    problems = []
    paths = concrete_paths(db, bank)
    assert len(paths) > 40  # the walk really found the routes
    for method, path in paths:
        if path in ("/signout", "/signin") and method == "POST":
            continue  # exercised in test_signin; here they would end the session
        if method == "GET":
            response = client.get(path)
        else:
            response = client.request(
                method, path, data={"csrf_token": token}, headers={"x-csrf-token": token}
            )
        status = response.status_code
        where = f"{persona} {method} {path} -> {status}"
        if status >= 500:
            problems.append(where + " (server error)")
            continue
        if persona == ANONYMOUS:
            public = path in (
                "/signin",
                "/healthz",
                "/openapi.json",
                "/docs",
            ) or path.startswith("/lang/")
            if not public and not customer_page(path) and not path.startswith("/device"):
                sign_in_redirect = status == 303 and response.headers["location"].startswith(
                    "/signin"
                )
                if not (sign_in_redirect or status == 401):
                    problems.append(where + " (anonymous not sent to sign-in)")
            continue
        # Customer pages (ticket, complaint form) show what any customer may see.
        if status == 200 and path != "/openapi.json" and not customer_page(path):
            leaked = sorted(name for name in outside if name in response.text)
            if leaked:
                problems.append(where + f" (shows out-of-scope data: {leaked})")
    assert not problems, "\n".join(problems)


# What each persona may open; 403 otherwise. Checked on the answer, not just the status.
EXPECTED = {
    "/admin/units": {"admin", "head_a", "head_b", "manager_br_a"},
    "/admin/staff": {"admin", "head_a", "head_b"},
    "/admin/devices": {"admin", "head_a", "head_b"},
    "/admin/audit": {"admin"},
    "/api/v1/units": {"admin", "head_a", "head_b", "manager_br_a"},
    "/api/v1/staff": {"admin", "head_a", "head_b"},
}


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_role_decides_what_opens(db: Database, bank: Bank, persona: str) -> None:
    client = client_for(db, persona)
    inside, outside = scope_units(db, persona)
    for path, allowed in EXPECTED.items():
        response = client.get(path)
        if persona in allowed:
            assert response.status_code == 200, f"{persona} {path}"
            if path in ("/admin/units", "/admin/staff"):
                assert any(name in response.text for name in inside), (
                    f"{persona} {path} shows nothing"
                )
            assert not any(name in response.text for name in outside)
        else:
            assert response.status_code == 403, f"{persona} {path}: {response.status_code}"


# Bank-wide settings (issue 16 #6): the status each persona gets on each settings route, with
# an empty form. Head office reads and is told what the form lacks (422); a branch's
# administrator reads, keeps the expert roster (422: choose someone) and is refused every
# bank-wide change (403) whatever was typed; everyone else is refused the pages.
BANK_WIDE_PERSONAS = ("admin", "admin.br.a", "head.a", "manager.br.a", "teller.a")
BANK_WIDE: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/complaints/settings"): (200, 200, 403, 403, 403),
    ("GET", "/complaints/settings?tab=policies"): (200, 200, 403, 403, 403),
    ("GET", "/counter/catalogue"): (200, 200, 403, 403, 403),
    ("GET", "/counter/catalogue/deposit"): (200, 200, 403, 403, 403),
    ("POST", "/complaints/settings/categories"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy/close-after"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/policy/new"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/changes/1"): (422, 403, 403, 403, 403),
    ("POST", "/complaints/settings/experts"): (422, 422, 403, 403, 403),
    ("POST", "/counter/catalogue/deposit"): (422, 403, 403, 403, 403),
    ("POST", "/counter/catalogue/changes/1"): (422, 403, 403, 403, 403),
}


def test_bank_wide_settings_by_persona(db: Database, bank: Bank) -> None:
    add_staff(db, bank, "admin.br.a")
    with db.session() as session:
        catalogue_store.seed_catalogue(session)
    problems = []
    for index, username in enumerate(BANK_WIDE_PERSONAS):
        client = signed_in_client(db, username)
        token = csrf_of(client, "/account/password")
        for (method, path), statuses in BANK_WIDE.items():
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data={"csrf_token": token})
            if response.status_code != statuses[index]:
                problems.append(f"{username} {method} {path}: {response.status_code}")
            elif (
                response.status_code == 403
                and username == "admin.br.a"
                and "只有总行管理员可以修改全行设置" not in response.text
            ):
                problems.append(f"{username} {method} {path}: 403 without why")
    assert not problems, "\n".join(problems)


def test_scope_of_a_branch_manager(db: Database, bank: Bank) -> None:
    client = client_for(db, "manager_br_a")
    units = {u["code"] for u in client.get("/api/v1/units").json()}
    assert units == {"BR-A", "SUB-A", "OUT-A"}
    # Another branch's unit is simply not found, not forbidden: ids reveal nothing.
    assert client.get(f"/api/v1/units/{bank.unit('OUT-B')}").status_code == 404
    assert client.get(f"/admin/units/{bank.unit('OUT-B')}").status_code == 404
    assert client.get(f"/api/v1/units/{bank.unit('OUT-A')}").json()["name_zh"] == "甲网点"


def test_outlet_head_cannot_reach_other_outlet_staff(db: Database, bank: Bank) -> None:
    client = client_for(db, "head_a")
    assert client.get(f"/admin/staff/{bank.staff['teller_a']}").status_code == 200
    response = client.get(f"/admin/staff/{bank.staff['teller_b']}")
    assert response.status_code == 404 and "柜员乙" not in response.text
    names = {s["username"] for s in client.get("/api/v1/staff").json()}
    assert names == {"teller.a", "head.a"}


def test_api_without_session_is_401_json(db: Database, bank: Bank) -> None:
    response = make_client(db).get("/api/v1/units")
    assert response.status_code == 401 and response.json() == {
        "error": "sign_in_required",
        "message": "sign-in required",
    }
