"""A world (the bank and objects of both outlets) built once per module on SQLite; a copy per test.

The route walks (tests/integration/test_access_*.py, test_form_fuzz.py) need the same world in
every test: building it took about as long as some tests' own requests. On SQLite a module
builds each world once, at FIXED_NOW, into a file of its own, and each test's database becomes a
copy of that file: a database of its own, as before, with the same rows and ids. On PostgreSQL
the world is built in the test's own emptied schema, as before.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import time_machine

from manyi.db import Database
from tests.conftest import FIXED_NOW

T = TypeVar("T")
SQLITE = "sqlite:///"


class WorldFiles:
    """Worlds by name, each built the first time a test of the module asks for it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._built: dict[str, tuple[Path, object]] = {}

    def world(self, db: Database, name: str, build: Callable[[Database], T]) -> T:
        """What `build(db)` returns, with its rows in `db`. On SQLite `db` must be the test's
        own fresh copy of the template, not written to yet: it is replaced by the world's file."""
        if not db.url.startswith(SQLITE):
            return build(db)
        own = db.url.removeprefix(SQLITE)
        if name not in self._built:
            self._built[name] = self._build(Path(own), name, build)
        path, value = self._built[name]
        db.engine.dispose()
        shutil.copyfile(path, own)
        return copy.deepcopy(value)  # type: ignore[return-value]

    def _build(self, empty: Path, name: str, build: Callable[[Database], T]) -> tuple[Path, T]:
        path = self.directory / f"{name}.sqlite3"
        shutil.copyfile(empty, path)  # the test's database: a fresh copy of the migrated template
        database = Database(SQLITE + str(path))
        try:
            with time_machine.travel(FIXED_NOW, tick=False):
                value = build(database)
        finally:
            database.dispose()
        # Everything in the main file (nothing left in the write-ahead log) before it is copied.
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        return path, value
