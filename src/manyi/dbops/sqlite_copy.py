"""Copying one SQLite database into another with SQLite's online backup API.

`sqlite3.Connection.backup` reads the source in one read transaction: the copy is the database
as one instant saw it, however many requests write meanwhile (in WAL mode readers and the one
writer do not hold each other up). It copies the database itself, with what its `-wal` file
holds; the `-wal` and `-shm` files and the `<database>-writers` lock file that manyi's writers
take turns on (`manyi.sqlite_writers`) are not copied, and need not be.

Writing into a database that others have open is safe too: the destination is written in a
transaction of its own, under SQLite's locks, so a restore can replace a database in place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

BUSY_TIMEOUT_S = 30.0  # as manyi's own connections (db.make_engine)
HEADER = b"SQLite format 3\x00"
COMPANIONS = ("-wal", "-shm", "-journal", "-writers")


class NotADatabase(Exception):
    """The file is not a readable, intact SQLite database."""


def companions(path: Path) -> list[Path]:
    """The files SQLite and manyi keep beside the database at `path`."""
    return [path.with_name(path.name + suffix) for suffix in COMPANIONS]


def check_file(path: Path) -> None:
    """NotADatabase unless `path` is an SQLite database that passes `PRAGMA quick_check`."""
    try:
        with path.open("rb") as file:
            header = file.read(len(HEADER))
    except OSError as exc:
        raise NotADatabase(f"cannot read {path}: {exc.strerror}") from exc
    if header != HEADER:
        raise NotADatabase(f"{path} is not an SQLite database")
    connection = _open(path, read_only=True)
    try:
        found = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"{path} is damaged: {exc}") from exc
    finally:
        connection.close()
    if found != ["ok"]:
        raise NotADatabase(f"{path} is damaged: {'; '.join(found[:3])}")


def copy_to_new_file(source: Path, target: Path) -> None:
    """A consistent copy of `source` as the new, self-contained file `target`.

    Written beside it as `<target>.partial` first and renamed when complete and checked, so a
    copy cut off (a full disk, a killed process) never looks like a finished one. The copy
    keeps a rollback journal, not WAL: it is one file, whatever the source's mode.
    """
    partial = target.with_name(target.name + ".partial")
    remove_with_companions(partial)
    try:
        copy_into(source, partial)
        connection = sqlite3.connect(partial)
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
        check_file(partial)
        with partial.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(partial, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:  # the rename itself survives a power cut
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        remove_with_companions(partial)


def copy_into(source: Path, target: Path) -> None:
    """Every page of `source` into the database `target` (created when it does not exist),
    replacing what it held, in one step (one read transaction on the source)."""
    reading = _open(source, read_only=True)
    try:
        writing = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            reading.backup(writing)
        finally:
            writing.close()
    finally:
        reading.close()


def remove_with_companions(path: Path) -> None:
    """Delete `path` and its companions, as far as they exist (for staged copies only)."""
    for each in (path, *companions(path)):
        with contextlib.suppress(FileNotFoundError):
            each.unlink()


def _open(path: Path, *, read_only: bool) -> sqlite3.Connection:
    # Not `mode=ro`: a reader of a WAL database must be able to write its `-shm` index.
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    if read_only:
        connection.execute("PRAGMA query_only=ON")
    return connection
