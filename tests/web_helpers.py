"""Helpers for driving the app through its HTTP interface."""

from __future__ import annotations

import copy
import re

from anyio.from_thread import BlockingPortal
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import State

from manyi.config import Settings, load_settings
from manyi.db import Database
from manyi.org import device_tokens
from manyi.web.app import configure_process, create_app
from tests.conftest import PASSWORD, SYSTEM

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# The event loop that every client of `make_client` sends its requests through, started for the
# session by tests/conftest.py (`_one_event_loop`). A TestClient left to itself starts a thread
# and an event loop for each request and stops them after it: thousands of times in the route
# walks. One loop for the session is also what a server has.
session_portal: BlockingPortal | None = None


# Apps built so far in this process, one per set of settings, but for the settings each test
# has its own of (its database, its var directory), which only requests read (app.state.settings).
_BUILT: dict[str, FastAPI] = {}
_PER_TEST = {"database_url", "var_dir", "analytics_root"}


def app_for(settings: Settings, database: Database) -> FastAPI:
    """The app on `database`, as `create_app` makes it, without building it again each time.

    FastAPI prepares each route of an included router for its first request (its dependencies
    analysed, its path compiled) once per app: some 400 routes, a fifth of the integration
    tests' time when each client had an app of its own. So the app is built once per set of
    settings, and each client gets a shallow copy of it with its own state (its settings and
    database): `request.app` is the copy, and the routes and middleware are the built app's.
    What `create_app` sets up for the process (the counter's adapters, the features' ports) is
    still done for each client, as before."""
    key = repr(sorted(settings.model_dump(exclude=_PER_TEST).items()))
    built = _BUILT.get(key)
    if built is None:
        built = _BUILT[key] = create_app(settings, database)
        built.middleware_stack = built.build_middleware_stack()
    else:
        configure_process(settings)
    app = copy.copy(built)
    app.state = State()
    app.state.settings = settings
    app.state.db = database
    return app


def make_client(
    database: Database, *, address: str = "testclient", **settings: object
) -> TestClient:
    """A browser on the app; `address` is the client address the app sees."""
    app = app_for(
        load_settings(
            database_url=database.url, secret_key="test-secret-key-" + "x" * 32, **settings
        ),
        database,
    )
    client = TestClient(app, follow_redirects=False, client=(address, 50000))
    # Used while the client is not entered (`with client:` starts a loop of its own, as before).
    client.portal = session_portal
    return client


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


def signed_in_client(database: Database, persona: str, password: str = PASSWORD) -> TestClient:
    """A client signed in as a persona (`teller_a` or `teller.a`) of tests/bank.py."""
    client = make_client(database)
    sign_in(client, persona.replace("_", "."), password)
    return client


def staff_client(database: Database, username: str) -> TestClient:
    """Signed in, with the CSRF header set for JSON calls to the staff API."""
    client = signed_in_client(database, username)
    client.headers["x-csrf-token"] = csrf_of(client, "/account/password")
    return client


def device_client(
    database: Database, outlet_id: int, kind: str, counter: int | None = None
) -> TestClient:
    """A device of `kind` at the outlet, with its bearer token (valid 30 days); a rating pad
    or calling pad is bound to `counter`."""
    with database.session() as session:
        _, secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind=kind,
            name=kind,
            valid_days=30,
            counter=counter,
        )
    client = make_client(database)
    client.headers["Authorization"] = f"Bearer {secret}"
    return client
