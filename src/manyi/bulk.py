"""Inserting many rows at once, fast on both engines.

PostgreSQL gets `INSERT … SELECT … FROM unnest(array, array, …)`: one bind
parameter per column whatever the number of rows, so the statement text is
short and the driver never parses tens of thousands of placeholders. Other
engines get SQLAlchemy's batched multi-row VALUES.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Connection, Date, Integer, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import TypeEngine

from manyi.db import UTCDateTime


def _pg_type(column_type: TypeEngine[Any]) -> str:
    if isinstance(column_type, UTCDateTime):
        return "timestamptz"
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, BigInteger | Integer):
        return "bigint"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, JSON):
        return "json"
    return "text"


def insert_returning(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str],
    skip_conflicts_on: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (all with the same keys); returns `returning` of the rows inserted.

    With `skip_conflicts_on`, a row that clashes with a stored one on those
    columns is skipped (ON CONFLICT DO NOTHING) and not returned.
    """
    if not rows:
        return []
    names = list(rows[0])
    if conn.dialect.name == "postgresql":
        return _pg_unnest(conn, table, rows, names, returning, skip_conflicts_on)
    statement: Any = sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    statement = statement.returning(*(table.c[name] for name in returning))
    return [tuple(row) for row in conn.execute(statement, list(rows)).all()]


def _pg_unnest(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    names: list[str],
    returning: Sequence[str],
    skip_conflicts_on: Sequence[str],
) -> list[tuple[Any, ...]]:
    types = {name: _pg_type(table.c[name].type) for name in names}
    params: dict[str, list[Any]] = {}
    selected: list[str] = []
    for k, name in enumerate(names):
        kind = types[name]
        values = [row[name] for row in rows]
        if kind == "json":  # sent as text, turned into json in SQL
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
            selected.append(f"c{k}::json")
            params[f"a{k}"] = values
            types[name] = "text"
        else:
            selected.append(f"c{k}")
            params[f"a{k}"] = values
    arrays = ", ".join(f"CAST(:a{k} AS {types[name]}[])" for k, name in enumerate(names))
    columns = ", ".join(f'"{name}"' for name in names)
    aliases = ", ".join(f"c{k}" for k in range(len(names)))
    # Only names from the table's own metadata go into the text; every value is bound.
    sql = (
        f'INSERT INTO "{table.name}" ({columns}) '  # noqa: S608
        f"SELECT {', '.join(selected)} FROM unnest({arrays}) AS t({aliases})"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING"
    sql += " RETURNING " + ", ".join(returning)
    return [tuple(row) for row in conn.execute(text(sql), params).all()]
