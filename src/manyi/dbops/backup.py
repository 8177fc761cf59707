"""`manyi db backup` and `manyi db restore`: a running SQLite database copied out, and a copy
checked and put back.

A backup is taken while manyi runs (`sqlite_copy`: one read transaction, writers carry on).
A restore checks the file before anything is touched, on a staged copy beside the target:

1. it is an intact SQLite database (`PRAGMA quick_check`);
2. its schema version is one this code knows: not newer than the code (refused), and when
   older it is upgraded to this code's schema, on the staged copy, as `manyi db upgrade` would
   (so the restored database is ready for this manyi, and the audit chain is checked by it);
3. its audit chain verifies under this installation's audit keys (`manyi audit verify`).

Only then is the staged copy written into the target, in one SQLite transaction. A target that
exists is replaced only when the caller says so (`replace`). PostgreSQL is refused with advice
both ways: its own tools do it better (docs/operations.md (sections 9 and 10)).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from manyi import audit
from manyi.db import upgrade, utcnow
from manyi.dbops import schema, sqlite_copy

GUIDE = "docs/operations.md (sections 9 and 10)"


class Refused(Exception):
    """The operation was refused; nothing was changed. `code`: the command's exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Backup:
    file: Path
    revision: str
    size: int


@dataclass(frozen=True)
class Restored:
    database: Path
    revision: str
    upgraded_from: str | None  # the backup's revision, when it was older than the code's
    audit_events: int


def postgres_backup_advice(url: str) -> str:
    target = make_url(url)
    return (
        "manyi db backup copies SQLite databases only; on PostgreSQL use its own tools:\n"
        f"  pg_dump --format=custom --file=manyi-$(date +%F).dump "
        f"--host={target.host or 'localhost'} --username={target.username or 'manyi'} "
        f"{target.database or 'manyi'}\n"
        "and, for recovery to any moment, WAL archiving with base backups "
        f"(pg_basebackup): see {GUIDE}"
    )


def postgres_restore_advice(url: str) -> str:
    target = make_url(url)
    return (
        "manyi db restore puts back SQLite backups only; on PostgreSQL restore a pg_dump "
        "archive into an empty database with\n"
        f"  pg_restore --exit-on-error --no-owner --dbname={target.database or 'manyi'} FILE.dump\n"
        f"then `manyi db check` and `manyi audit verify`: see {GUIDE}"
    )


def sqlite_path(url: str) -> Path:
    path = make_url(url).database or ""
    if not path or path == ":memory:":
        raise Refused(f"the database {url} is in memory: there is no file to back up or restore")
    return Path(path)


def backup(url: str, to: Path) -> Backup:
    """A consistent copy of the SQLite database at `url` as the new file `to`."""
    if not url.startswith("sqlite"):
        raise Refused(postgres_backup_advice(url))
    source = sqlite_path(url)
    if not source.exists():
        raise Refused(f"the database {source} does not exist: there is nothing to back up")
    if not to.parent.is_dir():
        raise Refused(f"--to: no directory {to.parent}", 2)
    if to.resolve() in {source.resolve(), *(p.resolve() for p in sqlite_copy.companions(source))}:
        raise Refused(f"--to: {to} is the database itself or one of its files", 2)
    if to.exists():
        raise Refused(f"--to: {to} exists; choose a new name (a backup never overwrites)", 2)
    try:
        sqlite_copy.copy_to_new_file(source, to)
    except (sqlite3.Error, OSError, sqlite_copy.NotADatabase) as exc:  # a full disk, say
        raise Refused(f"no backup written: {exc}") from None
    state = schema.read_state(f"sqlite:///{to}")
    return Backup(to, state.revision, to.stat().st_size)


def restore(file: Path, url: str, session_info: Mapping[str, object], *, replace: bool) -> Restored:
    """Check the backup `file` and write it into the SQLite database at `url` (see above)."""
    if not url.startswith("sqlite"):
        raise Refused(postgres_restore_advice(url))
    target = sqlite_path(url)
    if not file.is_file():
        raise Refused(f"no backup file {file}", 2)
    if file.resolve() == target.resolve():
        raise Refused(f"{file} is the database itself", 2)
    try:
        sqlite_copy.check_file(file)
    except sqlite_copy.NotADatabase as exc:
        raise Refused(f"not restored: {exc}") from None
    if target.exists() and not replace:
        raise Refused(
            f"the database {target} exists; a restore replaces everything in it: stop manyi's "
            "servers and worker, back it up if it may be needed, and add --replace"
        )
    target.parent.mkdir(parents=True, exist_ok=True)  # a new server's MANYI_VAR_DIR, say
    staged = target.with_name(target.name + ".restoring")
    sqlite_copy.remove_with_companions(staged)
    try:
        upgraded_from, events = _check_staged(file, staged, session_info)
        try:  # one transaction in the target: all of the backup, or nothing of it
            sqlite_copy.copy_into(staged, target)
        except (sqlite3.Error, OSError) as exc:
            raise Refused(f"not restored: writing {target} failed: {exc}") from None
    finally:
        sqlite_copy.remove_with_companions(staged)
    return Restored(target, schema.read_state(url).revision, upgraded_from, events)


def _check_staged(
    file: Path, staged: Path, session_info: Mapping[str, object]
) -> tuple[str | None, int]:
    """Copy `file` to `staged`, bring it to this code's schema and verify its audit chain: the
    revision it was upgraded from (None: it was current) and the audit chain's length."""
    try:
        sqlite_copy.copy_into(file, staged)
    except (sqlite3.Error, OSError) as exc:
        raise Refused(f"not restored: copying {file} failed: {exc}") from None
    staged_url = f"sqlite:///{staged}"
    state = schema.read_state(staged_url)
    if not state.revisions:
        raise Refused(f"not restored: {file} has no manyi schema version (alembic_version)")
    if state.status == "ahead":
        raise Refused(
            f"not restored: {file} is at revision {state.revision}, newer than this manyi "
            f"knows (its newest is {state.head}); restore it with the manyi that wrote it"
        )
    upgraded_from = None
    if state.status == "behind":
        try:
            upgrade(staged_url)
        except Exception as exc:  # a migration's own error, on the staged copy only
            raise Refused(
                f"not restored: upgrading {file} from revision {state.revision} failed: {exc}"
            ) from None
        upgraded_from = state.revision
    engine = create_engine(staged_url, poolclass=NullPool)
    try:
        with Session(engine, info=dict(session_info)) as session:
            result = audit.verify(session)
    finally:
        engine.dispose()
    if not result.ok:
        raise Refused(
            f"not restored: the audit chain of {file} does not verify, at {result.problem} "
            "(altered, or sealed under other audit keys: MANYI_AUDIT_KEY, "
            "MANYI_AUDIT_RETIRED_KEYS)"
        )
    _record_restore(staged_url, session_info, file, upgraded_from, result.rows)
    return upgraded_from, result.rows


def _record_restore(
    staged_url: str,
    session_info: Mapping[str, object],
    file: Path,
    upgraded_from: str | None,
    events: int,
) -> None:
    """The restored database's own chain says it was restored, from which file (by name and
    SHA-256), upgraded from which revision: appended to the staged copy, so it lands with it."""
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    engine = create_engine(staged_url, poolclass=NullPool)
    try:
        with Session(engine, info=dict(session_info)) as session, session.begin():
            audit.record(
                session,
                audit.SYSTEM,
                entity_type="database",
                entity_id=file.name[:100],
                action="db.restored",
                summary={
                    "file": file.name[:200],
                    "sha256": digest.hexdigest(),
                    "upgraded_from": upgraded_from,
                    "events_verified": events,
                },
                now=utcnow(),
            )
    finally:
        engine.dispose()
