"""Every HTML form route, fed generated values as each persona: no answer is a server error,
and a refused form stores nothing (issue 16 #5).

The routes come from the app itself: every POST route outside the JSON APIs (`/api/`,
`/device/api/`, which tests/integration/test_api_fuzz.py fuzzes from the OpenAPI). A route's
fields come from its FastAPI signature (its `Form(...)` and `File(...)` parameters are what
the route reads, whatever the page shows, and they are there for every persona, even one the
page refuses). The few routes that read `await request.form()` themselves (the counter's and
the customers' pre-fill forms, whose fields the transaction catalogue decides) get the fields
of the catalogue's merged forms. Parsing the rendered `<form>` instead would miss every form
that sits on another page (a complaint's actions, a unit's edit form) and every form a
persona cannot open, which is where refusals are tried.

Values (tests/form_values.py) are drawn by Hypothesis: empty, long (well under the body cap, which
test_body_caps.py covers), Unicode digits such as '²', NUL bytes, numbers past 64 bits, far
dates, SQL and HTML metacharacters, format strings, and plausible values of the test bank so
that more than the first check is reached. Path ids are those of outlet A's own objects.

"Nothing stored on refusal": around each request, a digest of every table's rows; when the
answer is a 4xx the digest must not change, except for the bookkeeping that exists to record
refusals: the audit chain (`audit_events`, `audit_head`: refusals such as a wrong password
are audited on purpose), the throttles (`rate_limits`, `sign_in_throttle`, and `staff`'s
failed-attempt columns; `device_tokens.last_used_at`, a device's last visit), and
`worker_leases`, which no request touches. Complaint categories and deadline policies are
seeded before the run: the first request of any kind seeds them, refused or not.

Where the route's declared access (web/security.py) lets the persona in, every field gets
each of `EVERY_FIELD` at once (the classes that answered 500 before, tried every run), then
`MANYI_FUZZ_EXAMPLES // 3` generated forms (2 by default; the variable is shared with the
API fuzz: `MANYI_FUZZ_EXAMPLES=200` looks harder); a persona the route refuses before the
body is read gets one generated form.
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
import os
import traceback
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.params import File
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings

from manyi.counter import catalogue_store, prefill
from manyi.db import Base, Database
from manyi.org import device_tokens
from manyi.org.model import Permission, permissions_for
from manyi.web.app import api_routes
from manyi.web.i18n import DEFAULT_LANGUAGE, translator
from manyi.web.security import DEVICE_COOKIE, access_of
from tests.access_helpers import ANONYMOUS, client_for, counter_bank_world, walk
from tests.conftest import PERSONAS, SYSTEM, Bank
from tests.form_values import EVERY_FIELD, Good, form_of, plausible
from tests.web_helpers import CSRF_RE, csrf_of
from tests.world_files import WorldFiles

pytestmark = pytest.mark.usefixtures("frozen_clock")
EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "6"))
KIOSK = "kiosk"  # a paired kiosk browser: the device cookie, no staff session
FUZZ_PERSONAS = [*PERSONAS, ANONYMOUS, KIOSK]

# Tables (and columns) that record refusals on purpose; everything else must not move.
BOOKKEEPING_TABLES = frozenset(
    {"audit_events", "audit_head", "rate_limits", "sign_in_throttle", "worker_leases"}
)
BOOKKEEPING_COLUMNS = {
    "staff": frozenset({"failed_attempts", "locked_until"}),
    "device_tokens": frozenset({"last_used_at"}),  # a device's last visit, whatever it asked
}
# Ends the session the rest of the run needs; test_signin.py covers it.
NOT_FUZZED = frozenset({"/signout"})


@dataclass(frozen=True)
class FormRoute:
    path: str  # with outlet A's ids in place
    fields: tuple[str, ...]
    lists: frozenset[str]  # fields that take several values (checkboxes, multi-selects)
    files: frozenset[str]
    access: tuple[str, tuple[Permission, ...]]  # as the route declares it (web/security.py)


def _is_list(annotation: Any) -> bool:
    return "list" in str(annotation).lower()


def form_routes(
    app: Any, ids: dict[str, dict[str, Any]], catalogue_fields: list[str]
) -> list[FormRoute]:
    routes = []
    for route in api_routes(app.routes):
        if "POST" not in route.methods or route.path.startswith(("/api/", "/device/api/")):
            continue
        if route.path in NOT_FUZZED:
            continue
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", str(ids[name]["A"]))
        fields, lists, files = _signature_fields(route)
        if not fields and "request.form()" in inspect.getsource(route.endpoint):
            fields, lists = ("t", "ticket", *catalogue_fields), frozenset({"t"})
        access = [a for a in map(access_of, walk(route.dependant)) if a is not None]
        routes.append(FormRoute(path, fields, lists, files, access[0]))
    return routes


def _signature_fields(route: APIRoute) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    fields, lists, files = [], set(), set()
    for param in route.dependant.body_params:
        name = param.alias
        fields.append(name)
        if _is_list(param.field_info.annotation):
            lists.add(name)
        if isinstance(param.field_info, File):
            files.add(name)
    return tuple(fields), frozenset(lists), frozenset(files)


CSRF_FAILED = translator(DEFAULT_LANGUAGE)(
    "The form expired or did not come from manyi. Reload the page and try again."
)


# --- What the database holds ----------------------------------------------------------------


def digest_queries() -> dict[str, str]:
    """For each table but the bookkeeping, the query that lists its rows in a fixed order."""
    queries = {}
    for table in Base.metadata.sorted_tables:
        if table.name in BOOKKEEPING_TABLES:
            continue
        skip = BOOKKEEPING_COLUMNS.get(table.name, frozenset())
        # Quoted: a column may bear a word the engine reserves.
        columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name not in skip)
        order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        queries[table.name] = f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'
    return queries


def digest(db: Database, queries: dict[str, str]) -> dict[str, int]:
    """A digest of each table's rows. Run on the driver's own cursor: this is done around
    every request, and SQLAlchemy's statement building would cost more than the requests."""
    sums = {}
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for name, query in queries.items():
            cursor.execute(query)
            sums[name] = hash(repr(cursor.fetchall()))
        cursor.close()
        connection.rollback()
    finally:
        connection.close()
    return sums


class WriteMark:
    """Whether anything was written since the last look, far cheaper than a digest: SQLite's
    `PRAGMA data_version` on a connection of its own (it moves when another connection commits),
    PostgreSQL's next transaction id (a transaction gets one when it first writes, committed or
    not). When the mark has not moved, the tables hold what they held, and the digest is kept."""

    def __init__(self, db: Database) -> None:
        self.connection = db.engine.raw_connection()  # held for the run: the app never gets it
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.last = self.read()

    def read(self) -> str:
        cursor = self.connection.cursor()
        if self.sqlite:
            cursor.execute("PRAGMA data_version")
        else:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        value = str(cursor.fetchone()[0])
        cursor.close()
        if not self.sqlite:
            self.connection.rollback()  # no transaction left open between requests
        return value

    def moved(self) -> bool:
        now = self.read()
        moved, self.last = now != self.last, now
        return moved

    def close(self) -> None:
        self.connection.close()


# --- The run --------------------------------------------------------------------------------


@pytest.fixture
def bank_and_world(db: Database, worlds: WorldFiles) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The test bank and the access tests' objects on both sides (tests/access_helpers.py),
    with the counter set up (the `sim` fixture); built once per module on SQLite
    (tests/world_files.py)."""
    return worlds.world(db, "counter", counter_bank_world)


@pytest.fixture
def world(bank_and_world: tuple[Bank, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return bank_and_world[1]


def _catalogue_fields(db: Database) -> list[str]:
    keys: dict[str, None] = {}
    with db.session() as session:
        for row in catalogue_store.latest_rows(session):
            for field in prefill.merged_form(session, [row.code]).fields:
                keys[field.key] = None
    return list(keys)


def _client(db: Database, bank: Bank, persona: str) -> tuple[TestClient, str]:
    if persona == KIOSK:
        with db.session() as session:
            _, secret = device_tokens.issue_token(
                session, SYSTEM, outlet_id=bank.unit("OUT-A"), kind="kiosk", name="k", valid_days=9
            )
        client = client_for(db, ANONYMOUS)
        client.cookies.set(DEVICE_COOKIE, secret)
        return client, csrf_of(client, "/signin")
    client = client_for(db, persona)
    page = "/signin" if persona == ANONYMOUS else "/account/password"
    return client, csrf_of(client, page)


def _origin(exc: BaseException) -> str:
    """Where in manyi the exception came from: the innermost frame of our own code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/manyi/" in f.filename]
    return f"at {frames[-1].filename.split('/src/')[-1]}:{frames[-1].lineno}" if frames else ""


@dataclass
class Run:
    """One persona's run: its client, what it was answered, what went wrong."""

    db: Database
    persona: str
    client: TestClient
    token: str
    statuses: list[int] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    queries: dict[str, str] = dataclasses.field(default_factory=digest_queries)
    stored: dict[str, int] = dataclasses.field(default_factory=dict)  # the digest now

    def __post_init__(self) -> None:
        self.mark = WriteMark(self.db)
        self.stored = digest(self.db, self.queries)

    def post(self, route: FormRoute, form: dict[str, Any]) -> Response | None:
        data: dict[str, Any] = {"csrf_token": self.token}
        files = []
        for name, value in form.items():
            if value is None:
                continue
            if name == "_extra":
                data["unexpected"] = value
            elif name in route.files:
                files.append((name, value))
            else:
                data[name] = value
        before = self.stored
        where = f"{self.persona} POST {route.path} {data!r}"
        try:
            response: Response = self.client.post(route.path, data=data, files=files or None)
        except Exception as exc:  # the test client re-raises what the app did not handle
            self.problems.append(f"{where} → {exc!r} {_origin(exc)}")
            return None
        status = response.status_code
        self.statuses.append(status)
        if status == 403 and CSRF_FAILED in response.text:
            self.problems.append(f"{where}: the run's CSRF token went stale (a test defect)")
        if self.mark.moved():
            self.stored = digest(self.db, self.queries)
        if status >= 500:
            self.problems.append(f"{where} → {status}: {response.text[:300]}")
        elif 400 <= status < 500:
            moved = sorted(name for name, value in self.stored.items() if value != before[name])
            if moved:
                self.problems.append(f"{where} → {status}: stored on refusal in {moved}")
        return response

    def fuzz(self, route: FormRoute, good: Good) -> None:
        """Every field the same nasty value, then generated forms (see the module's doc)."""
        let_in = lets_in(route.access, self.persona)
        if let_in:
            for value in EVERY_FIELD:
                form = {f: None if f in route.files else value for f in route.fields}
                self.post(route, {f: [v] if f in route.lists else v for f, v in form.items()})

        @given(form=form_of(route.fields, route.lists, route.files, good))
        @settings(
            max_examples=max(1, EXAMPLES // 3) if let_in and route.fields else 1,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def post(form: dict[str, Any]) -> None:
            self.post(route, form)

        post()


def lets_in(access: tuple[str, tuple[Permission, ...]], persona: str) -> bool:
    """Whether the route's own declaration (security.py) lets the persona past the gate."""
    kind, needed = access
    if kind == "public":
        return True
    if kind == "device":
        return persona == KIOSK
    if kind == "machine":
        return False  # only a request signed by the machine (WeChat) gets past
    if persona in (ANONYMOUS, KIOSK):
        return False
    return bool(set(needed) <= permissions_for(PERSONAS[persona][1]))


# Every persona on SQLite; on PostgreSQL head office's administrator, let in everywhere, which
# reaches every field and the engine's own limits (32-bit columns, strict types) — the other
# personas are refused at the same gates on either engine (suite time budget).
PG_FUZZ_PERSONAS = ("admin",)


@pytest.mark.parametrize(
    ("database_url", "persona"),
    [
        *(("sqlite", p) for p in FUZZ_PERSONAS),
        *(pytest.param("postgresql", p, marks=pytest.mark.postgres) for p in PG_FUZZ_PERSONAS),
    ],
    indirect=["database_url"],
)
def test_forms_take_any_value(
    db: Database, bank_and_world: tuple[Bank, dict[str, dict[str, Any]]], persona: str
) -> None:
    bank, world = bank_and_world
    client, token = _client(db, bank, persona)
    routes = form_routes(client.app, world, _catalogue_fields(db))
    assert len(routes) > 40, [r.path for r in routes]  # the walk really found the forms
    good = plausible(world)
    run = Run(db, persona, client, token)
    page = "/signin" if persona in (ANONYMOUS, KIOSK) else "/account/password"
    try:
        for route in routes:
            run.fuzz(route, good)
            # A form may have ended the session, or given it a new CSRF token (a change to the
            # persona's own account) or another staff member (a sign-in): carry on with the
            # persona's current token, signed in afresh if need be, so that later routes are
            # still tried past the gate, as this persona.
            current = run.client.get(page)
            match = CSRF_RE.search(current.text)
            still = persona not in PERSONAS or PERSONAS[persona][2] in current.text
            if current.status_code == 200 and match and still:
                run.token = match.group(1)
            else:
                run.client, run.token = _client(db, bank, persona)
    finally:
        run.mark.close()
    seen = collections.Counter(run.statuses)
    print(persona, sorted(seen.items()))
    if persona != ANONYMOUS:  # every persona has some form it may use, and used it
        assert any(200 <= status < 400 for status in seen), seen
    problems = run.problems
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:15])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/complaints/{complaint}/consult", "expert_id"),
        ("/complaints/{complaint}/reassign", "handler_id"),
        ("/complaints/{complaint}/transfer", "unit_id"),
        ("/complaints/settings/experts", "staff_id"),
        ("/complaints/settings/policy/close-after", "close_after_days"),
        ("/complaints/settings/policy/new", "close_after_days"),
        ("/complaints/new", "responsible_unit_id"),
    ],
)
def test_a_number_in_other_digits_is_refused_not_a_500(
    db: Database, world: dict[str, dict[str, Any]], path: str, field: str
) -> None:
    # Found by the fuzz above: "²" passed str.isdigit() and int() then raised (issue 16 #5).
    client, token = _client(db, Bank({}, {}), "admin")
    path = path.format(complaint=world["complaint_id"]["A"])
    response = client.post(path, data={"csrf_token": token, field: "²", "code": "default"})
    # Refused as input; a consultation first checks that this case may be consulted on now.
    expected = 403 if field == "expert_id" else 422
    assert response.status_code == expected, response.text[:300]
