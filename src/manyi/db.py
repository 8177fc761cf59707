"""Engine, sessions, declarative base and the migrations entry point.

One schema serves SQLite (the embedded default) and PostgreSQL (production).
Times are stored as timezone-aware UTC; SQLite keeps them as ISO text, so the
`UTCDateTime` type re-attaches the zone on the way out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, MetaData, Text, create_engine, event, make_url, text
from sqlalchemy.engine import Dialect

# Re-exported: web modules type their session with it and import nothing from SQLAlchemy.
from sqlalchemy.exc import DataError as DataError  # a value the database refuses (web/app.py)
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.orm import Session as Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from manyi import hot_lanes, hot_unit, realtime, sealed, sqlite_writers
from manyi.driver_sql import json_loads

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "manyi_read_only"  # execution option of `Database.read`'s connections

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The errors that may mean "the database is away" (web/app.py answers 503 for them when
# `database_away` says so, 500 otherwise).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
)
# PostgreSQL SQLSTATEs that say the server is not there to do the work, whatever the request:
# class 08 (connection exception), 57P01 terminated by an administrator (pg_terminate_backend,
# a fast shutdown), 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down)
# and 53300 too many connections.
_AWAY_SQLSTATES = ("57P01", "57P02", "57P03", "53300")


def database_away(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (down, restarting, cut off, or no
    connection free), so the request may simply be tried again later: nothing was done.

    Not "away": an error of the work itself (a constraint, a syntax error, a serialisation
    failure) and SQLite's "database is locked" after its 30 s busy_timeout: the file is there
    and another writer holds it that long, a stall to be seen in the log as a 500.
    """
    if isinstance(exc, DisconnectionError | PoolTimeout):
        return True  # the pool found its connection dead, or none came free in time
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if exc.connection_invalidated:
        return True  # SQLAlchemy's dialect recognised a broken connection
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith("08") or sqlstate in _AWAY_SQLSTATES
    if type(orig).__module__.startswith("psycopg"):
        return True  # libpq's own failures carry no SQLSTATE: refused, reset, closed, timed out
    # SQLite: the file (or its disk) cannot be opened; a locked or busy database is not away.
    return getattr(orig, "sqlite_errorname", "") == "SQLITE_CANTOPEN"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always UTC-aware in Python, whatever the engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; manyi stores aware UTC times only")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class EncryptedText(TypeDecorator[str]):
    """Text sealed at rest with AES-256-GCM (`manyi.sealed`), bound to its `place`.

    `place` names the column ("complaints.complainant_phone"): a value copied into another
    column fails to open. The keys are the process keyring (`sealed.install`, done by
    `Database`): a column type has no session to carry them. "" is stored as it is. A column
    of this type can be compared only with "" in SQL; look-ups use a blind index column.
    """

    impl = Text
    cache_ok = True

    def __init__(self, place: str) -> None:
        super().__init__()
        self.place = place

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else sealed.keyring().seal(value, self.place)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else sealed.keyring().open(value, self.place)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value sealed at rest as one envelope (see `EncryptedText`).

    Empty containers are stored as the plain texts "{}" and "[]" (they hold nothing), so a
    query can still tell a blanked row (`cast(column, Text) != "{}"`). SQL None is NULL.
    """

    impl = Text
    cache_ok = True

    def __init__(self, place: str) -> None:
        super().__init__()
        self.place = place

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value == {} or value == []:
            return json.dumps(value)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return sealed.keyring().seal(plain, self.place)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value in ("{}", "[]"):
            return json.loads(value)
        return json.loads(sealed.keyring().open(value, self.place))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Connections are pooled: opening one reads the whole schema (~1.7 ms of CPU here,
        # more than a ticket's own work). A pooled one is checked on each checkout to still
        # be the file at `path` (`_same_file`): a disk that went away is noticed at once.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=QueuePool,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_OVERFLOW,
            **kwargs,
        )
        turns = None
        if path and path != ":memory:":
            _same_file(engine, Path(path))
            turns = sqlite_writers.install(engine, Path(path))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets readers run while one writes.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # pysqlite's own transaction handling is disabled above. A unit of
            # work that may write starts IMMEDIATE, so that reading and then
            # writing can never fail half-way with SQLITE_BUSY_SNAPSHOT when
            # another request wrote in between: writers are serialised. A
            # read-only unit of work (`Database.read`) starts a deferred
            # transaction on a connection SQLite itself keeps from writing
            # (query_only): it reads one snapshot and never waits for, nor
            # holds up, a writer (WAL).
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("PRAGMA query_only=ON")
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("PRAGMA query_only=OFF")
                if turns is None:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    return
                # Writers take turns first (manyi.sqlite_writers): woken at once, in order.
                raw = conn.connection.dbapi_connection
                turns.take(raw)
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    turns.give_back(raw)
                    raise

        return engine
    kwargs.setdefault("json_deserializer", json_loads)
    if "connect_timeout" not in make_url(url).query:
        # libpq waits for ever by default; a server that drops packets would hold the caller
        # (the event loop itself, for a device's first request on a new lane: hot_lanes).
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            **kwargs.get("connect_args", {}),
        }
    engine = create_engine(url, **kwargs)
    _in_utc(engine)
    _ping_when_idle(engine)
    return engine


CONNECT_TIMEOUT_S = 10  # a new PostgreSQL connection, unless the URL names its own


def _in_utc(engine: Engine) -> None:
    """Each PostgreSQL session runs in UTC, whatever the server's default zone: timestamps come
    back as aware datetimes in `datetime.UTC` itself (psycopg gives the session's zone), which
    the hot path then takes as they are (`driver_sql.Driver.moment`). Every SQL that needs a
    local time names its zone (`timezone(zone, at)`), so nothing else reads the session's."""

    @event.listens_for(engine, "connect")
    def _utc(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


# SQLite connections kept per process, and opened beyond those when every one is in use (the
# worker threads of a web process, 40, may all want one; writers queue on SQLite's own lock).
SQLITE_POOL_SIZE = 8
SQLITE_POOL_OVERFLOW = 32


def _same_file(engine: Engine, path: Path) -> None:
    """A pooled SQLite connection is handed out only while its database file is still where it
    was opened: moved, deleted or on a disk unmounted, the connection (an open descriptor that
    would go on working) is dropped, and opening a new one fails as the database is away."""

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        found = os.stat(path)
        record.info["manyi_file"] = (found.st_dev, found.st_ino)

    @event.listens_for(engine, "checkout")
    def _check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        try:
            found = os.stat(path)
        except OSError as exc:
            raise DisconnectionError(f"the database file is away: {exc}") from exc
        if record.info.get("manyi_file") != (found.st_dev, found.st_ino):
            raise DisconnectionError("the database file was replaced")


# A pooled PostgreSQL connection that has lain idle this long is checked (one round trip)
# before it is handed out; one in use a moment ago is not: under load every request would
# otherwise pay the check (`pool_pre_ping` does it on every checkout).
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """After a restart of the server, a connection idle for PING_AFTER_IDLE_S is found dead
    here and replaced before use. One that served a request within that moment fails its
    request instead (503, like those during the restart: `UNAVAILABLE_ERRORS`), and the pool
    then drops every connection older than the failure (SQLAlchemy's disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info["manyi_used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used_at = record.info.get("manyi_used_at")
        if used_at is not None and time.monotonic() - used_at < PING_AFTER_IDLE_S:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # dead: the pool connects afresh and checks out again
            raise DisconnectionError(str(exc)) from exc


class Database:
    """The engine and a session factory; one per process."""

    def __init__(
        self,
        url: str,
        session_info: Mapping[str, object] | None = None,
        *,
        shared_with_processes: bool = False,
    ) -> None:
        """`session_info` is handed to every session (`Session.info`): the audit keys, say.
        Its data keys (`sealed.SESSION_INFO_KEY`; the development keys when it has none) also
        become the process keyring that encrypted columns use (`sealed.install`).

        `shared_with_processes`: other processes serve the same SQLite file (`manyi serve
        --workers N`), so live subscribers must hear of their commits too (`realtime.Hub`).
        """
        self.url = url
        sealed.install(sealed.keys_of(session_info or {}))
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(
            self.engine, expire_on_commit=False, info=dict(session_info or {})
        )
        self.read_sessionmaker = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            info={**(session_info or {}), READ_ONLY: True},
        )
        event.listen(self.read_sessionmaker, "before_flush", _refuse_writes)
        # Committed events reach live subscribers (boards, consoles) through the hub.
        self.hub = realtime.make_hub(
            url,
            (session_info or {}).get(realtime.BACKEND_KEY),
            watch_sqlite=shared_with_processes,
        )
        realtime.install(self.sessionmaker, self.hub)
        # PostgreSQL's hot units: each thread keeps a connection between them (hot_lanes).
        self.lanes = (
            hot_lanes.Lanes(self.engine) if self.engine.dialect.name == "postgresql" else None
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block succeeds, rolls back otherwise."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def hot_session(self, *, bounded: bool = False) -> AbstractContextManager[Session]:
        """`session()` for the hottest writes (a kiosk's ticket, a pad's call): the unit owns
        its connection's transaction, without the ORM's machinery around it (manyi.hot_unit).
        Its use cases must not commit inside it. `bounded`: its waits are cut short
        (`hot_lanes.BOUNDS`, on PostgreSQL), for a unit run on the event loop's thread."""
        info = self.sessionmaker.kw.get("info") or {}
        if self.lanes is not None:
            return self.lanes.unit(info, bounded=bounded)
        return hot_unit.hot_session(self.engine, info)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: pages, lists, screens' state, streams.

        On SQLite it takes no write lock (see `make_engine`); on both engines a change made in
        it is refused at flush (`ReadOnlySession`), so a read path that starts writing fails in
        the tests instead of queueing behind the writers.
        """
        session = self.read_sessionmaker()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; what was loaded stays readable

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.hub.close()
        if self.lanes is not None:
            self.lanes.close()
        self.engine.dispose()


def is_read_only(session: Session) -> bool:
    """Whether `session` is a `Database.read` unit of work (lazy seeding must not write)."""
    return bool(session.info.get(READ_ONLY))


class ReadOnlySession(RuntimeError):
    """A change was made in a `Database.read` unit of work."""


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a read-only unit of work tried to write")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (the newest by default)."""
    command.upgrade(alembic_config(url), revision)
