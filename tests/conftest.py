"""Shared fixtures: a real database per test, a small bank, personas, a fixed clock.

Every test that needs a database gets its own: on SQLite a copy of a
migrated template file; on PostgreSQL (when MANYI_TEST_DATABASE_URL is set)
the same tests run again against a schema emptied before each test.

No test reads the real clock. Tests pass fixed times to the use cases; where the code under
test reads the clock itself (pages and endpoints call `manyi.db.utcnow()`), the test takes the
`frozen_clock` fixture, which stops the clock at FIXED_NOW. To show that no test depends on the
hour it runs, `--fake-now=2026-03-01T23:55:00+08:00` (or MANYI_TEST_FAKE_NOW) runs the whole
session on a clock that starts at that moment and ticks.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from anyio.from_thread import start_blocking_portal
from argon2 import PasswordHasher
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, Integer, Table, create_engine, make_url, text

from manyi import audit
from manyi.db import Base, Database, upgrade
from manyi.org import passwords
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import Role, UnitLevel
from manyi.org.tables import Staff, Unit

PASSWORD = "Test-pass-2026"
PG_URL = os.environ.get("MANYI_TEST_DATABASE_URL", "")

# Monday 30 November 2026, 10:00 in Beijing: a working day, in the middle of opening hours.
FIXED_NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
FAKE_NOW_ENV = "MANYI_TEST_FAKE_NOW"
_SESSION_TRAVEL = pytest.StashKey[time_machine.travel]()


# Hypothesis fails an example that takes over 200 ms by default: a wall-time assertion that a
# busy machine breaks. Speed is measured in bench/, never asserted.
hypothesis_settings.register_profile("manyi", deadline=None)
hypothesis_settings.load_profile("manyi")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fake-now",
        metavar="ISO-8601",
        default=os.environ.get(FAKE_NOW_ENV, ""),
        help="run the session on a clock that starts at this aware time and ticks, "
        f"e.g. 2026-03-01T23:55:00+08:00 (default: ${FAKE_NOW_ENV}, else the real clock)",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--fake-now")
    if not value:
        return
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--fake-now: {exc}") from None
    if start.tzinfo is None:
        raise pytest.UsageError("--fake-now needs a UTC offset, e.g. 2026-03-01T23:55:00+08:00")
    # Started before collection, so module-level code sees the fake time too; each
    # pytest-xdist worker parses the option and starts its own travel.
    travel = time_machine.travel(start, tick=True)
    travel.start()
    config.stash[_SESSION_TRAVEL] = travel


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(_SESSION_TRAVEL, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--fake-now")
    return f"fake now: the clock starts at {value} and ticks" if value else None


@pytest.fixture
def frozen_clock(time_machine: time_machine.TimeMachineFixture) -> dt.datetime:
    """Stop the clock at FIXED_NOW for code that reads it itself; the test gets the moment.

    `time_machine.shift(...)` (the same fixture) moves it on. Inside a --fake-now session the
    stopped clock sits on top of the session's travel and is removed after the test.
    """
    time_machine.move_to(FIXED_NOW, tick=False)
    return FIXED_NOW


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    # Production cost is deliberately slow; tests hash hundreds of passwords.
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords.DUMMY_HASH = passwords._hasher.hash("manyi-no-such-user-0")
    yield
    passwords._hasher = original


@pytest.fixture(autouse=True)
def _settings_not_kept() -> Iterator[None]:
    # Commands cache their settings (`manyi.config.get_settings`) for the process. A test that
    # runs one with its own MANYI_* variables must not leave them to the next module's fixtures
    # (a module's demo seeded into another test's database): the cache is emptied after each test.
    yield
    from manyi.config import get_settings

    get_settings.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def _one_event_loop() -> Iterator[None]:
    # The test clients' requests run on one event loop thread for the session
    # (tests/web_helpers.py: `session_portal`), not on a new thread and loop per request.
    from tests import web_helpers

    with start_blocking_portal() as portal:
        web_helpers.session_portal = portal
        try:
            yield
        finally:
            web_helpers.session_portal = None
            # What a test left running (a response nobody read to its end) is cancelled at the
            # end of the session rather than waited for.
            portal.call(portal.stop, True)


@pytest.fixture(autouse=True, scope="session")
def _features_plugged() -> None:
    # What manyi.web.app and manyi.cli do at start-up, for tests that call the services directly:
    # forecasting's wait predictor and advice behind the lobby's ports.
    from manyi.forecast import lobby_adapters
    from manyi.forecast.appointment_capacity import PlannedCapacity
    from manyi.lobby import ports as lobby_ports
    from manyi.reach import appointment_ports
    from manyi.reach.appointment_checkin import KioskCheckIn

    lobby_adapters.register()
    # Appointments: the plan's capacity per slot, and the kiosk's check-in.
    appointment_ports.register_capacity(PlannedCapacity())
    lobby_ports.register_appointment_check_in(KioskCheckIn())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _worker_database(base_url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker (created on first use).

    Workers run tests at the same time, and each empties its schema before every test, so each
    needs a database of its own: `test` for a run without xdist, `test_gw0`, `test_gw1`, … with.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return base_url
    url = make_url(base_url)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    if not PG_URL:
        pytest.skip("MANYI_TEST_DATABASE_URL is not set")
    url = _worker_database(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    upgrade(url)
    return url


_PG_RESET: dict[str, tuple[Engine, list[str], frozenset[str], str]] = {}
_SEQUENCES_FROM_ONE = (
    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


def _empty_postgres(url: str) -> None:
    """Empty every table and start every id from 1 again, as a fresh database would.

    Only the tables that hold rows are emptied (one statement finds them; a test fills a
    handful of some ninety), by DELETE in dependency order rather than TRUNCATE (new files for
    each table: 0.2–0.4 s a test). Tables that refuse DELETE by trigger (the append-only audit
    log) are truncated. The connection is kept for the worker's next test.
    """
    if url not in _PG_RESET:
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        with engine.connect() as conn:
            guarded = set(
                conn.scalars(
                    text(
                        "SELECT DISTINCT event_object_table FROM information_schema.triggers"
                        " WHERE event_manipulation = 'DELETE'"
                    )
                )
            )
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        filled = " UNION ALL ".join(
            f'SELECT {k} WHERE EXISTS (SELECT 1 FROM "{t}")' for k, t in enumerate(tables)
        )
        _PG_RESET[url] = (engine, tables, frozenset(guarded), filled)
    engine, tables, guarded, filled = _PG_RESET[url]
    with engine.begin() as conn:
        holding = [tables[k] for k in sorted(conn.exec_driver_sql(filled).scalars())]
        statements = [f'DELETE FROM "{t}"' for t in holding if t not in guarded]
        truncated = [f'"{t}"' for t in holding if t in guarded]
        if truncated:
            statements.append("TRUNCATE " + ", ".join(truncated))
        if statements:
            conn.exec_driver_sql("; ".join(statements))
        conn.exec_driver_sql(_SEQUENCES_FROM_ONE)
        conn.execute(
            text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


# For a test whose engine cannot matter, such as a request refused before the database is read:
# it runs on SQLite only, not on both (`@sqlite_only`; the suite's time budget).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "manyi.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_migrated")
    _empty_postgres(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@dataclass
class Bank:
    """Two branches, each with a sub-branch and an outlet, and the personas."""

    units: dict[str, int]
    staff: dict[str, int]

    def unit(self, code: str) -> int:
        return self.units[code]


SYSTEM = audit.Actor(id=None, name="test")

BANK_UNITS = [
    ("HQ", "", UnitLevel.HEAD_OFFICE, "测试总行"),
    ("BR-A", "HQ", UnitLevel.TIER1_BRANCH, "甲分行"),
    ("SUB-A", "BR-A", UnitLevel.TIER2_BRANCH, "甲支行"),
    ("OUT-A", "SUB-A", UnitLevel.OUTLET, "甲网点"),
    ("BR-B", "HQ", UnitLevel.TIER1_BRANCH, "乙分行"),
    ("SUB-B", "BR-B", UnitLevel.TIER2_BRANCH, "乙支行"),
    ("OUT-B", "SUB-B", UnitLevel.OUTLET, "乙网点"),
]

# persona -> (unit, roles, display name)
PERSONAS: dict[str, tuple[str, tuple[Role, ...], str]] = {
    "admin": ("HQ", (Role.ADMINISTRATOR,), "管理员甲"),
    "teller_a": ("OUT-A", (Role.TELLER,), "柜员甲"),
    "head_a": ("OUT-A", (Role.BRANCH_HEAD,), "负责人甲"),
    "teller_b": ("OUT-B", (Role.TELLER,), "柜员乙"),
    "manager_br_a": ("BR-A", (Role.COMPLAINT_MANAGER,), "督办甲"),
    "head_b": ("OUT-B", (Role.BRANCH_HEAD,), "负责人乙"),
}


# Staff that some tests add to the bank: username -> (unit, roles, display name).
MORE_STAFF: dict[str, tuple[str, tuple[Role, ...], str]] = {
    "lobby.a": ("OUT-A", (Role.LOBBY_MANAGER,), "大堂经理甲"),
    "lobby.b": ("OUT-B", (Role.LOBBY_MANAGER,), "大堂经理乙"),
    "teller.a2": ("OUT-A", (Role.TELLER,), "柜员甲二"),
    "support.a": ("SUB-A", (Role.SUPERVISOR,), "二线甲"),  # second-line staff above OUT-A
    # The counter's supervisors (tests/counter_helpers.py); BR-A is OUT-A's remote centre.
    "sup.a": ("OUT-A", (Role.SUPERVISOR,), "sup.a"),
    "sup.b": ("OUT-B", (Role.SUPERVISOR,), "sup.b"),
    "centre.1": ("BR-A", (Role.SUPERVISOR,), "centre.1"),
    "centre.2": ("BR-A", (Role.SUPERVISOR,), "centre.2"),
    "centre.b": ("BR-B", (Role.SUPERVISOR,), "centre.b"),
    "dual.a": ("OUT-A", (Role.TELLER, Role.SUPERVISOR), "dual.a"),
    # Maker-checker: a second head-office administrator, and a branch's administrator.
    "admin.hq2": ("HQ", (Role.ADMINISTRATOR,), "管理员乙"),
    "admin.br.a": ("BR-A", (Role.ADMINISTRATOR,), "分行管理员甲"),
}


def add_staff(database: Database, bank: Bank, *usernames: str) -> dict[str, int]:
    """Add staff of MORE_STAFF to the bank (password PASSWORD); their ids by username."""
    added: dict[str, int] = {}
    with database.session() as session:
        for username in usernames:
            unit_code, roles, display = MORE_STAFF[username]
            person = staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=display,
                unit_id=bank.unit(unit_code),
                roles=list(roles),
                password=PASSWORD,
            )
            added[username] = person.id
    return added


def build_bank(database: Database) -> Bank:
    units: dict[str, int] = {}
    staff: dict[str, int] = {}
    with database.session() as session:
        for code, parent, level, name in BANK_UNITS:
            unit = unit_service.create_unit(
                session,
                SYSTEM,
                unit_service.UnitFields(
                    code=code,
                    level=level,
                    name_zh=name,
                    parent_id=units.get(parent),
                    name_en=f"Unit {code}",
                    address=f"{name}地址",
                    customers_served=1000,
                ),
            )
            units[code] = unit.id
        for username, (unit_code, roles, display) in PERSONAS.items():
            person = staff_service.create_staff(
                session,
                SYSTEM,
                username=username.replace("_", "."),
                display_name=display,
                unit_id=units[unit_code],
                roles=list(roles),
                password=PASSWORD,
            )
            staff[username] = person.id
    return Bank(units=units, staff=staff)


def _bank_time() -> time_machine.travel:
    """The moment the once-built bank is stamped with, whichever test happens to build it:
    FIXED_NOW (the frozen tests' clock), or the session's own clock when that is earlier (a
    --fake-now run), so that its units and staff never look changed after a test's changes, or
    made in a test's future."""
    return time_machine.travel(min(FIXED_NOW, dt.datetime.now(dt.UTC)), tick=False)


@pytest.fixture(scope="session")
def _bank_file(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Bank]:
    """The bank built once per session on SQLite, in a file of its own (see `bank`)."""
    path = tmp_path_factory.mktemp("bank") / "bank.sqlite3"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    try:
        with _bank_time():
            built = build_bank(database)
    finally:
        database.dispose()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    finally:
        connection.close()
    return path, built


def _untouched(database: Database) -> bool:
    with database.engine.connect() as conn:
        return not conn.execute(text("SELECT 1 FROM units LIMIT 1")).first()


@dataclass(frozen=True)
class _BankRows:
    """The bank's rows on PostgreSQL, read once per worker, to be written again per test."""

    bank: Bank
    tables: list[tuple[Table, list[dict[str, Any]]]]
    head: dict[str, Any]


@pytest.fixture(scope="session")
def _pg_bank_rows(pg_migrated: str) -> _BankRows:
    _empty_postgres(pg_migrated)
    database = Database(pg_migrated)
    try:
        with _bank_time():
            built = build_bank(database)
        tables = []
        with database.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name == "audit_head":
                    continue
                rows = [dict(r._mapping) for r in conn.execute(table.select())]
                if rows:
                    tables.append((table, rows))
            head = dict(conn.execute(text("SELECT seq, last_hash FROM audit_head")).one()._mapping)
    finally:
        database.dispose()
    return _BankRows(built, tables, head)


def _write_bank_rows(url: str, saved: _BankRows) -> None:
    engine = _PG_RESET[url][0]
    with engine.begin() as conn:
        for table, rows in saved.tables:
            conn.execute(table.insert(), rows)
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                    {"t": table.name, "n": max(r["id"] for r in rows)},
                )
        conn.execute(text("UPDATE audit_head SET seq = :seq, last_hash = :last_hash"), saved.head)


def _untouched(database: Database) -> bool:
    with database.engine.connect() as conn:
        return not conn.execute(text("SELECT 1 FROM units LIMIT 1")).first()


@pytest.fixture
def bank(db: Database, request: pytest.FixtureRequest) -> Bank:
    """Two branches, each with a sub-branch and an outlet, and the personas.

    Built once per session and written into each test's fresh database: on SQLite the file is
    copied, on PostgreSQL the rows are inserted again (the same rows and ids as building it
    again, a few milliseconds instead of 50–125). When a fixture wrote to the database first,
    the bank is built in it as before.
    """
    if not _untouched(db):
        return build_bank(db)
    if db.url.startswith("sqlite:///"):
        path, built = request.getfixturevalue("_bank_file")
        db.engine.dispose()
        shutil.copyfile(path, db.url.removeprefix("sqlite:///"))
        return copy.deepcopy(built)
    url: str = request.getfixturevalue("pg_migrated")
    saved: _BankRows = request.getfixturevalue("_pg_bank_rows")
    if not _untouched(db):  # the first test of the worker: the rows were read from its database
        _empty_postgres(url)
    _write_bank_rows(url, saved)
    return copy.deepcopy(saved.bank)


def scope_units(database: Database, persona: str) -> tuple[set[str], set[str]]:
    """Names of units (and staff) inside and outside a persona's scope."""
    with database.session() as session:
        me = session.query(Staff).filter_by(username=persona.replace("_", ".")).one()
        inside, outside = set(), set()
        for unit in session.query(Unit):
            (inside if unit.path.startswith(me.unit.path) else outside).add(unit.name_zh)
        for other in session.query(Staff):
            (inside if other.unit.path.startswith(me.unit.path) else outside).add(
                other.display_name
            )
    return inside, outside


def tamper_audit(db: Database, *statements: str) -> None:
    """Bypass the append-only trigger, as someone with owner rights could."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        for statement in statements:
            conn.execute(text(statement))
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
