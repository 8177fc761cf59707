"""The test databases: one per test, on SQLite and (when MANYI_TEST_DATABASE_URL is set) PostgreSQL.

On SQLite each test gets a copy of a migrated template file; on PostgreSQL the same tests run
again against a schema emptied before each test. The fixtures are registered by tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from manyi.db import Base, Database, upgrade

PG_URL = os.environ.get("MANYI_TEST_DATABASE_URL", "")


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
                        " WHERE event_manipulation = 'DELETE' AND action_timing = 'BEFORE'"
                    )
                )
            )
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        # Deleting waiting tickets moves the tally their triggers keep: empty it after them.
        tables.append(tables.pop(tables.index("lobby_queue_tally")))
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
    _forget_what_processes_cached()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own, for a test that moves the schema down and up
    again (on PostgreSQL named after the test's module, and dropped after it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.sqlite3"
        return
    if not PG_URL:
        pytest.skip("MANYI_TEST_DATABASE_URL is not set")
    base = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_{request.module.__name__.rsplit('.', 1)[-1]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _forget_what_processes_cached() -> None:
    """A worker's PostgreSQL database is emptied between tests under the same URL, and ids
    start again at 1: what this process cached by URL and id (an outlet's layout and recent
    service times, its chosen wait predictor and error bands, its appointment forecasts, the
    last plays of its queue) belongs to the test before. (An order-dependent failure of the
    engine-equivalence test came from a predictor choice another test had left.)"""
    from manyi.forecast import appointment_capacity, live_bands, live_predict
    from manyi.lobby import layouts, waits

    for cache in (
        layouts._cache,
        waits._plays,
        live_predict._choices,
        live_predict._warm,
        live_bands._cache,
        appointment_capacity._forecasts,
        appointment_capacity._pools,
    ):
        cache.clear()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


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
