"""Hot statements sent to the database driver itself, inside a session's unit of work.

SQLAlchemy spends some 50 µs on a statement above the driver's own work (the compiled form
from its cache, an execution context, the result's metadata and processors), and more on wide
rows. On the lobby's hot path (issue 22: a ticket issued, called, completed) that was most of
what a ticket cost. `Driver` runs SQL written once for both engines, with `%s` placeholders (`?`
on SQLite), on the connection the session already holds: same transaction, same locks, same
commit or rollback. It does by hand what the mapped column types do:

- timestamps are aware UTC datetimes in Python; on SQLite they are stored as SQLAlchemy stores
  them (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), so both paths read and order each other's rows;
- dates are `datetime.date` in Python and ISO text on SQLite;
- JSON is written as SQLAlchemy's JSON type writes it (`json.dumps`) and read back as Python.

Only statements whose columns are of these plain kinds belong here: nothing sealed
(`EncryptedText`), nothing another type decorator must see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import orjson
from psycopg import RawCursor
from psycopg.types.json import Json
from sqlalchemy.orm import Session

from manyi.pg_lean import LeanStatements

_UTC = dt.UTC
_QMARK: dict[str, str] = {}  # SQL with %s -> the same with ?, for SQLite
_NUMBERED: dict[str, bytes] = {}  # SQL with %s -> the same with $1, $2 …, for PostgreSQL


def _numbered(sql: str) -> bytes:
    """`sql` with PostgreSQL's own placeholders, for a raw cursor: psycopg then sends it as
    it is. Its ordinary cursor splits the SQL on its `%s` on every run when a statement has
    more than 50 parameters or 4,096 characters (it keeps the split only below those)."""
    if "%%" in sql:
        raise ValueError("the driver's SQL has no escaped %: write it without")
    parts = sql.split("%s")
    text = parts[0] + "".join(f"${k}{part}" for k, part in enumerate(parts[1:], start=1))
    numbered = _NUMBERED[sql] = text.encode()
    return numbered


def json_loads(text: str | bytes) -> Any:
    """A JSON value read (psycopg's loader for PostgreSQL's json, `db.make_engine`; a column
    read as text, `Driver.json_of`): by orjson, at a tenth of the standard library's cost
    (issue 22); what orjson refuses and the standard library reads (an integer beyond 64 bits)
    goes to the latter, so nothing reads differently."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _dumps(value: Any) -> bytes:
    """JSON for PostgreSQL by orjson: what json.dumps writes less the spaces, at a tenth of the
    cost. (SQLite's text keeps json.dumps's form: SQLAlchemy's JSON type writes it so.)"""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


KEPT = "manyi.driver"  # a connection's Driver, kept in its pool record's `info`


class Driver:
    """The DBAPI connection under a session (psycopg or sqlite3), with the conversions.

    `Driver(session)` is the one of the connection the session holds now: made once for each
    pooled connection and kept with it (as its record's `info`), so that asking for it on every
    statement costs next to nothing. Like SQLAlchemy before a statement, it first flushes what
    the session has pending.
    """

    __slots__ = ("cursor", "postgres", "raw")
    postgres: bool
    raw: Any
    cursor: Any  # one for the connection's life: making one per statement cost more than reuse
    # (on PostgreSQL given the SQL with $1, $2 … (`_numbered`): on a connection where psycopg
    # prepares nothing, a hot lane's, `pg_lean.LeanStatements`; else psycopg's raw cursor)

    def __new__(cls, session: Session) -> Driver:
        if session.autoflush:
            session.flush()
        connection = session.connection()
        info = connection.info
        kept: Driver | None = info.get(KEPT)
        if kept is None:
            kept = info[KEPT] = super().__new__(cls)
            kept.postgres = connection.dialect.name == "postgresql"
            kept.raw = connection.connection.dbapi_connection
            if not kept.postgres:
                kept.cursor = kept.raw.cursor()
            elif kept.raw.prepare_threshold is None:  # psycopg prepares nothing: a lane's
                kept.cursor = LeanStatements(kept.raw)
            else:
                kept.cursor = RawCursor(kept.raw)
        return kept

    # --- running ---------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run `sql`; the cursor it returns is the connection's one: read it before the next
        statement (`one`, `all` and `changed` do)."""
        if not self.postgres:
            text = _QMARK.get(sql)
            if text is None:
                text = _QMARK[sql] = sql.replace("%s", "?")
            return self.cursor.execute(text, params)
        return self.cursor.execute(_NUMBERED.get(sql) or _numbered(sql), params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(sql, params).fetchall())

    def changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Rows an UPDATE or DELETE changed."""
        return int(self.execute(sql, params).rowcount or 0)

    # --- values going in ---------------------------------------------------------------

    def stamp(self, value: dt.datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; manyi stores aware UTC times only")
        if self.postgres:
            return value.astimezone(_UTC)
        return value.astimezone(_UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: dt.date) -> Any:
        return value if self.postgres else value.isoformat()

    def json(self, value: Any) -> Any:
        return Json(value, _dumps) if self.postgres else json.dumps(value)

    # --- values coming out -------------------------------------------------------------

    def moment(self, value: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value).replace(tzinfo=_UTC)
        zone = value.tzinfo
        if zone is _UTC:  # PostgreSQL's, its sessions being in UTC (`db._in_utc`)
            return value  # type: ignore[no-any-return]
        if zone is None:
            return value.replace(tzinfo=_UTC)  # type: ignore[no-any-return]
        return value.astimezone(_UTC)  # type: ignore[no-any-return]

    def date_of(self, value: Any) -> dt.date:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value

    def json_of(self, value: Any) -> Any:
        """A JSON value read: parsed when it came as text (SQLite's, or a column cast to
        text)."""
        return json_loads(value) if isinstance(value, str | bytes) else value
