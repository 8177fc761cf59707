"""Whether a database's schema is the one this code was written for.

The schema version is Alembic's revision, kept in the database's `alembic_version` table; the
code's is the head of its migrations (`src/manyi/migrations/versions/`). Four answers:

- current: the database is at the code's head;
- behind: at a revision the code knows, but older (or no schema at all): `manyi db upgrade`;
- ahead: at a revision the code does not know, which a newer manyi wrote (or a branch of one):
  `manyi db upgrade` cannot help; run the newer manyi, or restore a backup made for this one;
- missing: a SQLite file that does not exist (it is not created by looking).

The web server refuses to start unless the answer is "current" (`require_current`): old code on
a newer schema, or new code on an older one, would fail one request at a time, or write rows the
other version misreads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool

from manyi.db import alembic_config

UPGRADE = "manyi db upgrade"


class SchemaUnreadable(Exception):
    """The database could not be reached, or opened, to read its revision."""


class SchemaMismatch(Exception):
    """The database's schema is not the code's (the message says which way, and what to do)."""


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def code_head() -> str:
    """The newest revision of this code's migrations."""
    return str(_script().get_current_head())


def is_known(revision: str) -> bool:
    """Whether `revision` is one of this code's migrations."""
    return revision in {script.revision for script in _script().walk_revisions()}


@dataclass(frozen=True)
class SchemaState:
    """A database's revisions (none: no schema yet) against the code's head."""

    url: str
    revisions: tuple[str, ...]
    head: str
    exists: bool = True

    @property
    def status(self) -> str:
        if not self.exists:
            return "missing"
        if self.revisions == (self.head,):
            return "current"
        if all(is_known(r) for r in self.revisions):
            return "behind"
        return "ahead"

    @property
    def revision(self) -> str:
        return ", ".join(self.revisions) or "none"

    def message(self) -> str:
        where = f"the database at {redact(self.url)}"
        status = self.status
        if status == "current":
            return f"{where} is up to date (revision {self.head})"
        if status == "missing":
            return f"{where} does not exist: create it with `{UPGRADE}`"
        if not self.revisions:
            return f"{where} has no schema yet: run `{UPGRADE}`"
        if status == "behind":
            return (
                f"{where} is at revision {self.revision}, this manyi needs {self.head}: "
                f"migrations are pending; back it up, then run `{UPGRADE}`"
            )
        return (
            f"{where} is at revision {self.revision}, newer than this manyi knows (its newest "
            f"is {self.head}): a newer manyi upgraded it, and `{UPGRADE}` cannot take it back; "
            "run that newer manyi, or restore a backup made for this version"
        )


def read_state(url: str) -> SchemaState:
    """The schema state of the database at `url`; SchemaUnreadable when it cannot be read."""
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        if path and path != ":memory:" and not Path(path).exists():
            return SchemaState(url, (), code_head(), exists=False)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            revisions = MigrationContext.configure(connection).get_current_heads()
    except Exception as exc:  # the driver's own errors: refused, no such database, not SQLite
        reason = str(getattr(exc, "orig", None) or exc).strip()  # the driver's words alone
        raise SchemaUnreadable(
            f"cannot read the schema version of the database at {redact(url)}: {reason}"
        ) from exc
    finally:
        engine.dispose()
    return SchemaState(url, tuple(sorted(revisions)), code_head())


def require_current(url: str) -> SchemaState:
    """The state when it is current; SchemaMismatch (or SchemaUnreadable) otherwise."""
    state = read_state(url)
    if state.status != "current":
        raise SchemaMismatch(f"refusing to start: {state.message()}")
    return state


def redact(url: str) -> str:
    """`url` without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
