"""Every route, every persona: each route declares one access kind; allowed answers show only
in-scope data; denied answers are 403 or a redirect to sign-in; never 500.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.guidance import outreach
from manyi.org.tables import Staff
from manyi.web.app import api_routes
from manyi.web.security import access_of
from tests.access_helpers import ANONYMOUS, by_engine, client_for, routes_world, walk
from tests.conftest import FIXED_NOW, PERSONAS, Bank, scope_units
from tests.web_helpers import csrf_of, make_client
from tests.world_files import WorldFiles

ALL_PERSONAS = [*PERSONAS, ANONYMOUS]


def routes_and_outreach_world(db: Database) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The route walk's world with a held outreach event at each outlet, so that the outreach
    list, its roll-up and its export have rows that could show another scope's units."""
    bank, ids = routes_world(db)
    for head, outlet in (("head.a", "OUT-A"), ("head.b", "OUT-B")):
        with db.session() as session:
            staff = session.scalars(select(Staff).where(Staff.username == head)).one()
            who = outreach.Who(
                staff.id, staff.display_name, staff.unit_id, staff.unit.path, staff.permissions
            )
            day = FIXED_NOW.date().isoformat()
            fields = outreach.PlanFields(outlet, "反诈宣传", "market", "农贸市场", "fraud", day)
            event = outreach.plan(session, who, fields, FIXED_NOW)
            held = outreach.HeldFields(day, "30", "100", "", (staff.id,))
            outreach.record_held(session, who, event.reference, held, FIXED_NOW)
    return bank, ids


def test_every_route_declares_its_access(db: Database) -> None:
    app = make_client(db).app
    undeclared = []
    routes = list(api_routes(app.routes))  # type: ignore[attr-defined]
    assert len(routes) > 20
    for route in routes:
        if route.path == "/docs":
            continue
        kinds = [access_of(c) for c in walk(route.dependant) if access_of(c)]  # type: ignore[arg-type]
        if len(kinds) != 1:
            undeclared.append(f"{sorted(route.methods)} {route.path}: {kinds}")
    assert not undeclared, "routes without exactly one access declaration:\n" + "\n".join(
        undeclared
    )


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


@pytest.mark.parametrize(
    ("database_url", "persona"), by_engine(ALL_PERSONAS), indirect=["database_url"]
)
def test_every_route_for_persona(
    db: Database, worlds: WorldFiles, persona: str, frozen_clock: dt.datetime
) -> None:
    _, ids = worlds.world(db, "routes", routes_and_outreach_world)
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
                "/signin/oidc/backchannel-logout",  # the identity platform's server (403 here)
                "/metrics",  # Prometheus: refused (403) unless from MANYI_METRICS_ALLOW
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
