"""Every route, every persona: allowed answers show only in-scope data;
denied answers are 403 or a redirect to sign-in; never 500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from manyi.complaints import categories, clock, intake
from manyi.complaints.access import system_caller
from manyi.counter import catalogue_store
from manyi.db import Database
from manyi.lobby import service as lobby_service
from manyi.org import device_tokens as device_service
from manyi.supervision import inspections, rectification
from manyi.web.app import api_routes
from manyi.web.security import access_of
from tests import rect_helpers
from tests.conftest import (
    FIXED_NOW,
    PERSONAS,
    SYSTEM,
    Bank,
    add_staff,
    build_bank,
    scope_units,
)
from tests.counter_helpers import Sim, customer, make_sim, open_bundle, setup_counter, submit
from tests.lobby_helpers import configure, operator
from tests.web_helpers import csrf_of, device_client, make_client, signed_in_client
from tests.world_files import WorldFiles

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


def fixture_ids(db: Database, bank: Bank) -> dict[str, dict[str, Any]]:
    """Objects of outlet A and outlet B (a device token, a complaint, a ticket, …) and the ids
    that fill each path parameter of the app's routes, by side ("A", "B")."""
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
    visits = {}
    for side in ("A", "B"):
        with db.session() as session:
            visits[side] = inspections.schedule_visit(
                session,
                SYSTEM,
                outlet_id=bank.unit(f"OUT-{side}"),
                kind="scheduled",
                planned_on=FIXED_NOW.date(),
                now=FIXED_NOW,
            )
    ids: dict[str, dict[str, Any]] = {
        "outlet": {"A": "OUT-A", "B": "OUT-B"},
        "service": {"A": "A", "B": "B"},  # appointments: a service code at the outlet
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
        "task_id": rectification_tasks(db, bank),
        "evidence_id": {"A": 1, "B": 2},
        "case_id": {"A": 1, "B": 2},  # misconduct cases (none exist: 404 where permitted)
        "visit_id": visits,
        "item_code": {"A": "A1", "B": "A1"},
        "sha256": {"A": "ab" * 32, "B": "cd" * 32},
        "programme_id": {"A": 1, "B": 2},
        "nomination_id": {"A": 1, "B": 2},
        "year": {"A": 2027, "B": 2028},  # holidays (none entered: 404 where permitted)
        "opinion_id": {"A": 1, "B": 2},  # opinions (none exist: 404 where permitted)
        "photo_id": {"A": 1, "B": 2},  # a visit's photos (none exist: 404 where permitted)
    }
    return ids


def rectification_tasks(db: Database, bank: Bank) -> dict[str, int]:
    """A rectification task at each outlet, issued by the branch above it (owner: its head)."""
    tasks = {}
    for side, issuer in (("A", "manager.br.a"), ("B", "admin")):
        with db.session() as session:
            new = rect_helpers.new_task(bank, f"OUT-{side}")
            actor = rect_helpers.actor(db, issuer)
            tasks[side] = rectification.open_task(session, actor, new, now=FIXED_NOW)
    return tasks


def counter_world(db: Database, bank: Bank, sim: Sim) -> dict[str, dict[str, Any]]:
    """`fixture_ids` on a bank whose counter is set up (the `sim` fixture), with a withdrawal
    open at outlet A, and what the first request would seed already seeded."""
    with db.session() as session:
        categories.ensure_seed(session)
        clock.ensure_policies(session)
    values = customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}
    reference = open_bundle(db, "teller.a", submit(db, ["withdraw"], values))
    ids = fixture_ids(db, bank)
    ids["reference"] = {"A": reference, "B": "TS202601010000002"}
    ids["tx_code"] = {"A": "withdraw", "B": "transfer"}
    return ids


def routes_world(db: Database) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The test bank and `fixture_ids` on it (the route walk's world)."""
    bank = build_bank(db)
    return bank, fixture_ids(db, bank)


def counter_bank_world(db: Database) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The test bank with its counter set up (the `sim` fixture) and `counter_world` on it."""
    bank = build_bank(db)
    setup_counter(db, bank)
    return bank, counter_world(db, bank, make_sim())


def concrete_paths(db: Database, ids: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(method, path) for every route, with ids of outlet A's and outlet B's objects."""
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
    """Ticket, complaint, pre-fill, survey and appointment pages for customers; /complaints
    (staff pages) is not one."""
    return path in ("/complaint", "/appointments") or path.startswith(
        (
            "/api/v1/public/",
            "/t/",
            "/complaint/",
            "/prefill/",
            "/s/",
            "/m/",
            "/appointments/",
            "/a/",
            "/api/v1/appointments",
        )
    )


def client_for(db: Database, persona: str) -> TestClient:
    return make_client(db) if persona == ANONYMOUS else signed_in_client(db, persona)


# Every persona on SQLite; on PostgreSQL the personas whose answers depend most on the data
# (scope queries: head office, an outlet's head, a branch's manager). Who may open what is
# decided in Python on either engine; the walk on both for all personas did not fit the suite's
# time budget.
PG_PERSONAS = ("admin", "head_a", "manager_br_a")


def by_engine(personas: Iterable[str]) -> list[Any]:
    """(database_url, persona) pairs: every persona on SQLite, PG_PERSONAS on PostgreSQL."""
    personas = list(personas)
    return [
        *(("sqlite", p) for p in personas),
        *(
            pytest.param("postgresql", p, marks=pytest.mark.postgres)
            for p in personas
            if p in PG_PERSONAS
        ),
    ]


@pytest.mark.parametrize(
    ("database_url", "persona"), by_engine(ALL_PERSONAS), indirect=["database_url"]
)
def test_every_route_for_persona(
    db: Database, worlds: WorldFiles, persona: str, frozen_clock: dt.datetime
) -> None:
    _, ids = worlds.world(db, "routes", routes_world)
    client = client_for(db, persona)
    token = (
        csrf_of(client, "/signin") if persona == ANONYMOUS else csrf_of(client, "/account/password")
    )
    outside = set() if persona == ANONYMOUS else scope_units(db, persona)[1]
    problems = []
    paths = concrete_paths(db, ids)
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
                "/reach/wechat/callback",  # WeChat's servers: refused (403) unless signed
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
    # Teller workload: heads and head office see their scope's tellers and pulse results; a
    # teller sees their own figures; everyone answers the pulse survey.
    "/workload": {"admin", "head_a", "head_b"},
    "/workload/pulse/results": {"admin", "head_a", "head_b"},
    "/workload/me": {"admin", "teller_a", "teller_b"},
    "/workload/pulse": set(PERSONAS),
    "/cockpit": {"admin", "head_a", "head_b"},
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
    ("GET", "/supervision/stars/programmes"): (200, 200, 403, 403, 403),
    ("POST", "/supervision/stars/programmes"): (422, 403, 403, 403, 403),
    ("GET", "/admin/holidays"): (200, 200, 403, 403, 403),
    ("POST", "/admin/holidays"): (422, 403, 403, 403, 403),
    ("POST", "/admin/holidays/2027/remove"): (404, 403, 403, 403, 403),
    ("GET", "/insight/classifier"): (200, 200, 403, 403, 403),
    ("POST", "/insight/classifier/auto-apply"): (422, 403, 403, 403, 403),
    ("GET", "/insight/issues/categories"): (200, 200, 200, 200, 403),
    ("POST", "/insight/issues/categories/new"): (422, 403, 403, 403, 403),
    ("GET", "/reach/templates"): (200, 200, 403, 403, 403),
    ("POST", "/reach/templates"): (422, 403, 403, 403, 403),
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


# --- Who may change what: every mutating route × every persona ------------------------------
#
# The answer each persona gets to every POST, PUT, PATCH and DELETE, sent with a valid CSRF
# token and an otherwise empty body (to the JSON API `{}`, or the valid body of BODIES), on
# outlet A's objects (a complaint, a ticket, a device token, a teller's open bundle:
# `counter_world`), one after another in the app's route order (the outlet's configuration and
# /signout last). The table is sorted by path; its codes:
#
#   ok    let in: the role may use the route. The answer is whatever an empty form earns
#         (2xx, 3xx, 400, 409, 422) - never 401, 403 or 404. An HTML form's 422 can come
#         before the scope check: which objects are reached is the feature tests' concern.
#   403   refused for the role, or by a rule of the object (only its own teller works a
#         bundle; only a case's handler asks an expert).
#   404   not found: outlet A's object is outside the persona's scope and looks absent (ids
#         reveal nothing); on rows where every persona let in gets 404, the empty form names
#         nothing there is (no outlet, no message, no authorisation request).
#   in    not signed in (anonymous, or a device on a staff route): sent to sign in (303 to
#         /signin; 401 from the JSON API).
#   pair  a device's route without a device token: 401 from the device API, or 303 to
#         /device/pair on a screen.
#
# A machine's route (`security.machine`: WeChat's pushes) takes no persona at all: unsigned,
# everyone gets 403 (tests/integration/test_reach_wechat_callback.py signs its requests).
#
# The devices are outlet A's, by bearer token: a kiosk, and a calling pad and a rating pad at
# counter 1; a device of another kind is refused (403) on the others' routes.
#
# A route missing from the table fails the test, so a new route needs someone to decide who
# may use it. Which objects an allowed persona reaches is test_every_route_for_persona's
# concern (no out-of-scope data in any answer) and the feature tests'. Bank-wide settings
# (complaint categories, deadline policies, the catalogue) are head office's: `admin` sits
# there; a branch administrator's refusal is test_bank_wide_settings_by_persona's.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The staff personas, anonymous, and outlet A's devices (by bearer token; pads at counter 1).
DEVICES = ("kiosk", "counter_pad", "rating_pad")
MATRIX_PERSONAS = (
    *("admin", "teller_a", "head_a", "teller_b", "manager_br_a", "head_b", ANONYMOUS),
    *DEVICES,
)
MATRIX = """
route                                                               admin  tell_a head_a tell_b mgr_a  head_b anon   kiosk  c_pad  r_pad
POST /a/{token}/cancel                                              404    404    404    404    404    404    404    404    404    404
POST /a/{token}/change                                              ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /a/{token}/check-in                                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments                                           ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/appointments/codes                                     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/appointments/{token}/cancel                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments/{token}/change                            404    404    404    404    404    404    404    404    404    404
POST /api/v1/appointments/{token}/check-in                          404    404    404    404    404    404    404    404    404    404
PUT /api/v1/appointments/rules/{outlet}                              ok     403    ok     403    403    404    in     in     in     in
POST /appointments/{outlet}/{service}/book                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /appointments/{outlet}/{service}/code                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /device/api/v1/lobby/appointments/check-in                     pair   pair   pair   pair   pair   pair   pair   404    403    403
POST /lobby/appointments/rules                                      404    403    ok     403    403    ok     in     in     in     in
POST /account/password                                              ok     ok     ok     ok     ok     ok     in     in     in     in
POST /admin/audit/verify                                            ok     403    403    403    403    403    in     in     in     in
POST /admin/devices                                                 404    403    404    403    403    404    in     in     in     in
POST /admin/devices/{token_id}/revoke                               ok     403    ok     403    403    404    in     in     in     in
POST /admin/holidays                                                ok     403    403    403    403    403    in     in     in     in
POST /admin/holidays/{year}/remove                                  404    403    403    403    403    403    in     in     in     in
POST /admin/staff                                                   ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}                                        ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}/password                               ok     403    403    403    403    403    in     in     in     in
POST /admin/staff/{staff_id}/unlock                                 ok     403    403    403    403    403    in     in     in     in
POST /admin/units                                                   ok     403    403    403    403    403    in     in     in     in
POST /admin/units/import                                            ok     403    403    403    403    403    in     in     in     in
POST /admin/units/{unit_id}                                         ok     403    403    403    403    403    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/alerts/{alert_id}/acknowledge   404    403    404    403    403    404    in     in     in     in
PUT /api/v1/lobby/outlets/{outlet}/config                           ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/call-next     ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/close         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/complete      ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/no-show       ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/open          ok     ok     403    404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/pause         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/rating-prompt 404    404    403    404    403    403    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/recall        ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/resume        ok     ok     ok     404    403    404    in     in     in     in
PUT /api/v1/lobby/outlets/{outlet}/counters/{number}/services       ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/start         ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/counters/{number}/transfer      ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/pages                           ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/outlets/{outlet}/tickets                         ok     403    ok     403    403    404    in     in     in     in
PUT /api/v1/lobby/tellers/{username}/skills                         ok     403    ok     403    403    404    in     in     in     in
POST /api/v1/lobby/tickets/{ticket_id}/cancel                       ok     ok     ok     404    403    404    in     in     in     in
POST /api/v1/lobby/tickets/{ticket_id}/requeue                      ok     ok     ok     404    403    404    in     in     in     in
POST /lobby/settings                                                ok     403    ok     403    403    ok     in     in     in     in
POST /api/v1/public/outlets/{outlet}/tickets                        ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/public/tickets/{token}/cancel                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /api/v1/units                                                  ok     403    403    403    403    403    in     in     in     in
PATCH /api/v1/units/{unit_id}                                       ok     403    403    403    403    403    in     in     in     in
POST /complaint                                                     ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status                                              404    404    404    404    404    404    404    404    404    404
POST /complaint/status-exit                                         ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status/{reference}/accept                           ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaint/status/{reference}/dispute                          ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /complaints/bulk-reassign                                      ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/consultations/{consultation_id}/opinion            404    403    403    403    403    403    in     in     in     in
POST /complaints/new                                                ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/praise                                             ok     403    ok     403    ok     ok     in     in     in     in
POST /complaints/settings/categories                                ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/changes/{change_id}                      ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/experts                                   ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy                                    ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy/close-after                        ok     403    403    403    403    403    in     in     in     in
POST /complaints/settings/policy/new                                ok     403    403    403    403    403    in     in     in     in
POST /complaints/{complaint_id}/approve_extension                   ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/attach                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/classify                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/suggestions/accept                  ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/close                               ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/consult                             403    403    403    403    403    404    in     in     in     in
POST /complaints/{complaint_id}/decide                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/declare_conflict                    ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/extend                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/note                                ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reassign                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reject_extension                    ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/reopen                              ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/start                               ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/transfer                            ok     403    ok     403    ok     404    in     in     in     in
POST /complaints/{complaint_id}/withdraw                            ok     403    ok     403    ok     404    in     in     in     in
POST /insight/opinions                                              ok     403    ok     403    ok     ok     in     in     in     in
POST /insight/opinions/{opinion_id}/classify                        404    403    404    403    404    404    in     in     in     in
POST /insight/opinions/{opinion_id}/step                            404    403    404    403    404    404    in     in     in     in
POST /counter/authorisations/claim                                  ok     403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/approve                   404    403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/reject                    404    403    403    403    403    403    in     in     in     in
POST /counter/authorisations/{request_id}/release                   404    403    403    403    403    403    in     in     in     in
POST /counter/bundles/{reference}/authorisation                     403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/cancel                            403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/confirm                           403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/correct                           403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/identity                          403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/run                               403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/sign                              403    ok     403    404    403    403    in     in     in     in
POST /counter/bundles/{reference}/voucher                           403    ok     403    404    403    403    in     in     in     in
POST /counter/catalogue/changes/{change_id}                         ok     403    403    403    403    403    in     in     in     in
POST /counter/catalogue/{tx_code}                                   ok     403    403    403    403    403    in     in     in     in
POST /counter/fill                                                  ok     ok     403    ok     403    403    in     in     in     in
POST /counter/open                                                  403    404    403    404    403    403    in     in     in     in
POST /device/api/v1/lobby/counters/{number}/call-next               pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/complete                pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/no-show                 pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/pause                   pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/recall                  pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/resume                  pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/start                   pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/counters/{number}/transfer                pair   pair   pair   pair   pair   pair   pair   403    ok     403
POST /device/api/v1/lobby/ratings                                   pair   pair   pair   pair   pair   pair   pair   403    403    404
POST /device/api/v1/lobby/tickets                                   pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /device/pair                                                   ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /device/prefill/check                                          pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /device/prefill/form                                           pair   pair   pair   pair   pair   pair   pair   ok     403    403
POST /insight/issues/categories/new                                 ok     403    403    403    403    403    in     in     in     in
POST /insight/issues/categories/{code}/edit                         ok     403    403    403    403    403    in     in     in     in
POST /m/{token}                                                     404    404    404    404    404    404    404    404    404    404
POST /insight/classifier/auto-apply                                 ok     403    403    403    403    403    in     in     in     in
POST /notifications/{message_id}/read                               404    404    404    404    404    404    in     in     in     in
POST /prefill/{outlet_code}/check                                   ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /prefill/{outlet_code}/form                                    ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /quality/survey-rules                                          ok     403    403    403    403    403    in     in     in     in
POST /quality/surveys/{trigger}                                     ok     403    403    403    403    403    in     in     in     in
POST /reach/consents                                                ok     403    ok     403    403    ok     in     in     in     in
POST /reach/messages                                                ok     403    ok     403    403    ok     in     in     in     in
POST /reach/templates                                               ok     403    403    403    403    403    in     in     in     in
POST /reach/wechat/callback                                         403    403    403    403    403    403    403    403    403    403
POST /s/{token}                                                     403    403    403    403    403    403    404    403    403    403
POST /t/{token}/alerts                                              ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /signin                                                        ok     ok     ok     ok     ok     ok     ok     ok     ok     ok
POST /supervision/stars/nominations/{nomination_id}/approve         404    403    403    403    403    403    in     in     in     in
POST /supervision/stars/nominations/{nomination_id}/reject          ok     403    403    403    403    403    in     in     in     in
POST /supervision/stars/programmes                                  ok     403    403    403    403    403    in     in     in     in
POST /supervision/stars/programmes/{programme_id}/nominations       ok     403    ok     403    403    ok     in     in     in     in
POST /signout                                                       ok     ok     ok     ok     ok     ok     in     in     in     in
POST /supervision/inspections                                       404    403    403    403    403    403    in     in     in     in
POST /supervision/inspections/rechecks/{task_id}                    404    403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/items/{item_code}/task     ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/inspections/{visit_id}/photos                     ok     403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/results                    ok     403    403    403    403    403    in     in     in     in
POST /supervision/inspections/{visit_id}/submit                     ok     403    403    403    403    403    in     in     in     in
POST /supervision/rectification/new                                 ok     403    ok     403    ok     ok     in     in     in     in
POST /supervision/rectification/{task_id}/close                     ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/recheck                   ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/send-back                 ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/rectification/{task_id}/start                     403    403    ok     403    403    404    in     in     in     in
POST /supervision/rectification/{task_id}/submit                    ok     403    ok     403    403    404    in     in     in     in
POST /supervision/rectification/{task_id}/verify                    ok     403    ok     403    ok     404    in     in     in     in
POST /supervision/misconduct                                        ok     403    ok     403    403    ok     in     in     in     in
POST /supervision/misconduct/{case_id}/bulletin                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/dismiss                      404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/finalise                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/findings                     404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/investigate                  404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/rectification                404    404    404    404    404    404    in     in     in     in
POST /supervision/misconduct/{case_id}/sanctions                    404    404    404    404    404    404    in     in     in     in
POST /supervision/plans                                             ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/mystery/assignments                         ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/mystery/scenarios                           ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/remote                                      ok     403    403    403    403    403    in     in     in     in
POST /supervision/plans/spot                                        ok     403    403    403    403    403    in     in     in     in
POST /supervision/standards                                         ok     403    403    403    403    403    in     in     in     in
POST /visits/new                                                    ok     ok     ok     ok     403    ok     in     in     in     in
POST /visits/{reference}/approve                                    404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/assign                                     404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/refuse                                     404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/schedule                                   404    403    404    403    403    404    in     in     in     in
POST /visits/{reference}/arrive                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/bundle                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/cancel                                     404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/close                                      404    404    404    404    403    404    in     in     in     in
POST /visits/{reference}/photos                                     404    404    404    404    403    404    in     in     in     in
POST /workload/pulse                                                ok     ok     ok     ok     ok     ok     in     in     in     in
"""  # noqa: E501


# JSON bodies that pass validation, so that the answer shows the scope check behind it rather
# than a 422 for the empty body; other routes get `{}`.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/lobby/outlets/{outlet}/tickets": {"service": "A"},
    "POST /api/v1/public/outlets/{outlet}/tickets": {"service": "A"},
    "POST /api/v1/appointments/{token}/change": {"start": "2026-12-01T10:00:00+08:00"},
    "POST /device/api/v1/lobby/appointments/check-in": {"code": "123456"},
    "PUT /api/v1/lobby/outlets/{outlet}/config": {"settings": {}, "services": [], "counters": []},
    "PUT /api/v1/lobby/tellers/{username}/skills": {"skills": []},
    "PUT /api/v1/lobby/outlets/{outlet}/counters/{number}/services": {"services": ["A"]},
    "POST /api/v1/lobby/outlets/{outlet}/pages": {"staff": [], "message": "请到柜台"},
    "POST /device/api/v1/lobby/tickets": {"service": "A"},
    "POST /device/api/v1/lobby/ratings": {"prompt_id": 1, "score": "satisfied"},
}


def expected_matrix() -> dict[str, dict[str, str]]:
    """MATRIX as {"METHOD /path": {persona: code}}."""
    rows: dict[str, dict[str, str]] = {}
    for line in MATRIX.strip().splitlines()[1:]:
        method, path, *codes = line.split()
        assert len(codes) == len(MATRIX_PERSONAS), line
        rows[f"{method} {path}"] = dict(zip(MATRIX_PERSONAS, codes, strict=True))
    return rows


def mutating_routes(db: Database, ids: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(method, route path, path with outlet A's ids) for every mutating route."""
    found = []
    for route in api_routes(make_client(db).app.routes):  # type: ignore[attr-defined]
        path = route.path
        for name in re.findall(r"{(\w+)}", route.path):
            path = path.replace("{" + name + "}", str(ids[name]["A"]))
        found += [(method, route.path, path) for method in sorted(route.methods & MUTATING)]
    # The outlet's configuration (replaced by an empty one) and signing out come last.
    return sorted(found, key=lambda row: (row[1] == "/signout", row[1].endswith("/config")))


def answer_code(response: Any, persona: str, route: str) -> str:
    """The code of MATRIX that an answer shows."""
    status, location = response.status_code, response.headers.get("location", "")
    to_sign_in = status == 303 and location.startswith("/signin")
    if route == "/signout" and persona in PERSONAS and to_sign_in:
        return "ok"  # signed out, and shown the sign-in page
    if to_sign_in or (status == 401 and "sign_in_required" in response.text):
        return "in"
    if (status == 303 and location == "/device/pair") or (
        status == 401 and "device_denied" in response.text
    ):
        return "pair"
    if status in (401, 403, 404) or status >= 500:
        return str(status)
    return "ok"


def test_the_matrix_names_every_mutating_route(db: Database, bank: Bank) -> None:
    routes = {
        f"{method} {route}" for method, route, _ in mutating_routes(db, fixture_ids(db, bank))
    }
    table = set(expected_matrix())
    assert not routes - table, f"routes without a row in MATRIX: {sorted(routes - table)}"
    assert not table - routes, f"rows in MATRIX without a route: {sorted(table - routes)}"


@pytest.mark.parametrize(
    ("database_url", "persona"), by_engine(MATRIX_PERSONAS), indirect=["database_url"]
)
def test_who_may_change_what(
    db: Database, worlds: WorldFiles, persona: str, frozen_clock: dt.datetime
) -> None:
    expected = expected_matrix()
    bank, ids = worlds.world(db, "counter", counter_bank_world)
    if persona in DEVICES:
        counter = None if persona == "kiosk" else 1
        client = device_client(db, bank.unit("OUT-A"), persona, counter)
    else:
        client = client_for(db, persona)
    signed_in = persona not in (ANONYMOUS, *DEVICES)
    token = csrf_of(client, "/account/password" if signed_in else "/signin")
    wrong = []
    for method, route, path in mutating_routes(db, ids):
        headers = {"x-csrf-token": token}
        if path.startswith(("/api/", "/device/api/")):
            body = BODIES.get(f"{method} {route}", {})
            response = client.request(method, path, json=body, headers=headers)
        else:
            response = client.request(method, path, data={"csrf_token": token}, headers=headers)
        row = f"{method} {route}"
        got = answer_code(response, persona, route)
        if row in expected and got != expected[row][persona]:
            wrong.append(f"{row}: {persona} expected {expected[row][persona]}, got {got}")
    assert not wrong, "\n".join(wrong)
