"""Issue 16 #3: on SQLite, reading takes no write lock and no password is hashed while one is held.

SQLite has one write lock for the whole database. Before, every unit of work began with
`BEGIN IMMEDIATE` (a page view queued behind every kiosk and teller) and a sign-in checked the
password (argon2: tens of milliseconds on purpose) inside its write transaction, so anyone posting
wrong passwords could stall the whole lobby.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from sqlalchemy import select, text

from manyi.db import Database, ReadOnlySession
from manyi.org import passwords
from manyi.org.tables import Staff
from tests.conftest import PASSWORD, Bank
from tests.web_helpers import csrf_of, make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _sqlite_path(db: Database) -> str:
    if not db.url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    return db.url.split("///", 1)[1]


def _write_lock_free(path: str) -> bool:
    """Whether a writer could start right now (no other write transaction is open)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


class LockWatchingHasher:
    """The password hasher, noting whether SQLite's write lock was held at each hashing."""

    def __init__(self, inner: Any, path: str) -> None:
        self.inner, self.path = inner, path
        self.hashings: list[bool] = []  # lock free at each one

    def _note(self) -> None:
        self.hashings.append(_write_lock_free(self.path))

    def hash(self, password: str) -> str:
        self._note()
        return str(self.inner.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        self._note()
        return bool(self.inner.verify(password_hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def watcher(db: Database, monkeypatch: pytest.MonkeyPatch) -> LockWatchingHasher:
    watching = LockWatchingHasher(passwords._hasher, _sqlite_path(db))
    monkeypatch.setattr(passwords, "_hasher", watching)
    return watching


def test_a_read_runs_while_a_writer_holds_the_lock(db: Database, bank: Bank) -> None:
    path = _sqlite_path(db)
    client = make_client(db)
    sign_in(client, "teller.a", PASSWORD)
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with db.session() as session:
            session.execute(text("UPDATE staff SET display_name = display_name"))
            holding.set()
            done.wait(20)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        assert not _write_lock_free(path)  # the writer really holds it
        with db.read() as session:  # before: BEGIN IMMEDIATE waited for the writer
            names = list(session.scalars(select(Staff.username)))
        assert "teller.a" in names
        # So does a page: a GET is a read-only unit of work.
        home = client.get("/")
        assert home.status_code == 200 and "柜员甲" in home.text
    finally:
        done.set()
        thread.join(10)


def test_a_read_only_unit_of_work_refuses_to_write(db: Database, bank: Bank) -> None:
    """On both engines: a read path that starts writing fails loudly, nothing is stored."""
    with pytest.raises(ReadOnlySession), db.read() as session:
        staff = session.scalars(select(Staff).where(Staff.username == "teller.a")).one()
        staff.display_name = "changed"
        session.flush()
    with db.read() as session:
        names = set(session.scalars(select(Staff.display_name)))
    assert "changed" not in names


@pytest.mark.parametrize(
    ("username", "password", "status"),
    [("teller.a", PASSWORD, 303), ("teller.a", "wrong-password-1", 401), ("nobody", "x1", 401)],
)
def test_sign_in_checks_the_password_outside_the_write_transaction(
    db: Database, bank: Bank, watcher: LockWatchingHasher, username: str, password: str, status: int
) -> None:
    client = make_client(db)
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == status
    assert watcher.hashings and all(watcher.hashings), watcher.hashings


def test_password_changes_hash_outside_the_write_transaction(
    db: Database, bank: Bank, watcher: LockWatchingHasher
) -> None:
    admin = make_client(db)
    sign_in(admin, "admin", PASSWORD)
    token = csrf_of(admin, "/account/password")
    watcher.hashings.clear()
    teller_id = bank.staff["teller_a"]
    reset = admin.post(
        f"/admin/staff/{teller_id}/password",
        data={"password": "Fresh-Password-2026", "csrf_token": token},
    )
    assert reset.status_code == 303, reset.text
    created = admin.post(
        "/admin/staff",
        data={
            "username": "teller.new",
            "display_name": "新柜员",
            "unit_id": str(bank.unit("OUT-A")),
            "password": "Another-Password-2026",
            "roles": "teller",
            "csrf_token": token,
        },
    )
    assert created.status_code == 303, created.text
    teller = make_client(db)
    sign_in(teller, "teller.new", "Another-Password-2026")
    changed = teller.post(
        "/account/password",
        data={
            "current_password": "Another-Password-2026",
            "new_password": "Third-Password-2026",
            "confirm_password": "Third-Password-2026",
            "csrf_token": csrf_of(teller, "/account/password"),
        },
    )
    assert changed.status_code == 200 and 'class="alert ok"' in changed.text
    assert len(watcher.hashings) >= 5 and all(watcher.hashings), watcher.hashings
    sign_in(make_client(db), "teller.new", "Third-Password-2026")
    sign_in(make_client(db), "teller.a", "Fresh-Password-2026")
