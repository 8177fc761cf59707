"""PostgreSQL's json values read by orjson, with the standard library behind it; the key a
process caches under per database (issue 22)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from manyi.db import Database, json_loads
from manyi.db_keys import database_key


def test_json_reads_as_the_standard_library_would() -> None:
    assert json_loads(b'{"A": 3, "B": [1, 2.5, null, true], "name": "\\u5f20"}') == {
        "A": 3,
        "B": [1, 2.5, None, True],
        "name": "张",
    }
    assert json_loads("[]") == []
    big = 2**70  # beyond orjson's integers: the standard library reads it
    assert json_loads(f'{{"n": {big}}}') == {"n": big}


def test_the_databases_json_columns_come_back_as_written(db: Database) -> None:
    with db.read() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite's JSON goes through SQLAlchemy's own reader")
        raw = session.connection().connection.driver_connection
        assert raw is not None
        row = raw.execute(
            "SELECT CAST(%s AS json), CAST(%s AS jsonb)",
            ['{"credits": {"A": 2}, "skills": ["A", "K"]}', f'{{"n": {2**70}}}'],
        ).fetchone()
    assert row == ({"credits": {"A": 2}, "skills": ["A", "K"]}, {"n": 2**70})


def test_the_cache_key_is_the_url_rendered_once_per_engine(db: Database) -> None:
    with db.read() as session:
        key = database_key(session)
        assert key == str(db.engine.url)
        assert database_key(session) is key  # the same text, not rendered again
        session.execute(text("SELECT 1"))
