"""The test bank: two branches, each with a sub-branch and an outlet, and the personas.

`bank` (registered by tests/conftest.py) builds it once per session and writes it into each
test's fresh database; `add_staff` adds the staff some tests need (MORE_STAFF).
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Integer, Table, text

from manyi import audit
from manyi.db import Base, Database
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import Role, UnitLevel
from manyi.org.tables import Staff, Unit
from tests.clock import FIXED_NOW
from tests.databases import _PG_RESET, _empty_postgres

PASSWORD = "Test-pass-2026"


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
