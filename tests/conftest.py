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

import datetime as dt
import gc
import os
from collections.abc import Iterator

import pytest
import time_machine
from anyio.from_thread import start_blocking_portal
from argon2 import PasswordHasher
from hypothesis import settings as hypothesis_settings

from manyi.org import passwords
from tests.bank import (
    MORE_STAFF,
    PASSWORD,
    PERSONAS,
    SYSTEM,
    Bank,
    _bank_file,
    _pg_bank_rows,
    add_staff,
    bank,
    build_bank,
    scope_units,
)
from tests.clock import FAKE_NOW_ENV, FIXED_NOW, frozen_clock
from tests.databases import (
    PG_URL,
    _empty_postgres,
    database_url,
    db,
    fresh_url,
    pg_migrated,
    sqlite_only,
    sqlite_template,
    tamper_audit,
)

# The helpers many test files import from here, and the fixtures every test sees (a fixture
# imported into a conftest is registered): tests/clock.py, tests/databases.py, tests/bank.py.
__all__ = [
    "FIXED_NOW",
    "MORE_STAFF",
    "PASSWORD",
    "PERSONAS",
    "PG_URL",
    "SYSTEM",
    "Bank",
    "_bank_file",
    "_empty_postgres",
    "_pg_bank_rows",
    "add_staff",
    "bank",
    "build_bank",
    "database_url",
    "db",
    "fresh_url",
    "frozen_clock",
    "pg_migrated",
    "scope_units",
    "sqlite_only",
    "sqlite_template",
    "tamper_audit",
]

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


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is loaded by now (manyi, its libraries, every test module and collected test) stays
    # for the whole session: frozen, the cyclic garbage collector stops walking it again on each
    # full collection, and it runs less often. It took a fifth of an integration test's time
    # (measured with gc.callbacks); reference counting still frees what the tests drop.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(_SESSION_TRAVEL, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--fake-now")
    return f"fake now: the clock starts at {value} and ticks" if value else None


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
