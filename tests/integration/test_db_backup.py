"""`manyi db backup` while the lobby works, `manyi db restore` into a fresh database, and what a
restore refuses (docs/operations.md, sections 9 and 10). Backups are SQLite's: on PostgreSQL both
commands refuse with advice, which needs no server to test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.lobby import counters, service
from manyi.lobby.tables import LobbyTicket
from manyi.org import service as unit_service
from manyi.org.model import UnitLevel
from tests.complaint_bank import build_complaint_bank
from tests.conftest import SYSTEM, Bank, add_staff
from tests.dbops_helpers import manyi
from tests.integration.lobby_invariants import lobby_problems
from tests.lobby_helpers import T0, configure, operator

pytestmark = [
    pytest.mark.usefixtures("frozen_clock"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
OUTLET = "OUT-A"


@pytest.fixture(autouse=True)
def _var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))


class LobbyLoad(threading.Thread):
    """A lobby manager issues tickets and a teller calls and completes every other one, each
    step its own unit of work, as requests would, until stopped."""

    def __init__(self, db: Database) -> None:
        super().__init__(name="lobby-load", daemon=True)
        self.db = db
        self.issued: list[str] = []
        self.completed: list[int] = []
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.progress = threading.Condition()  # told of each ticket, and of the end

    def run(self) -> None:
        try:
            for step in range(1500):  # 5 s apart from 10:00: the outlet closes at 17:00
                if self.halt.is_set():
                    return
                now = T0 + dt.timedelta(seconds=5 * step)
                with self.db.session() as session:
                    lobby = operator(session, "lobby.a")
                    issued = service.issue_ticket(session, lobby, OUTLET, "AB"[step % 2], now)
                with self.progress:
                    self.issued.append(issued.ticket.number)
                    self.progress.notify_all()
                if step % 2:
                    self._serve_one(now)
        except BaseException as exc:  # shown by the test
            self.error = exc
        finally:
            with self.progress:
                self.progress.notify_all()

    def _serve_one(self, now: dt.datetime) -> None:
        with self.db.session() as session:
            called = counters.call_next(session, operator(session, "teller.a"), OUTLET, 1, now)
        if called.ticket is not None:
            with self.db.session() as session:
                teller = operator(session, "teller.a")
                counters.complete(session, teller, OUTLET, 1, now, called.ticket.id)
            self.completed.append(called.ticket.id)

    def wait_for(self, count: int) -> None:
        """Until `count` tickets are issued, the load fails or it ends (60 s: a hang guard)."""
        with self.progress:
            self.progress.wait_for(
                lambda: len(self.issued) >= count or self.error is not None or not self.is_alive(),
                timeout=60,
            )
        assert self.error is None, self.error
        assert len(self.issued) >= count, f"the load issued {len(self.issued)} tickets"


def _complaints(db: Database) -> list[tuple[object, ...]]:
    with db.read() as session:
        return [
            (c.id, c.reference, c.state, c.complainant_name, c.responsible_unit_id, c.due_at)
            for c in session.scalars(select(Complaint).order_by(Complaint.id))
        ]


def _tickets(db: Database) -> dict[int, tuple[object, ...]]:
    with db.read() as session:
        return {
            t.id: (t.number, t.state, t.outcome, t.issued_at, t.finished_at, t.counter_id)
            for t in session.scalars(select(LobbyTicket))
        }


def test_backup_under_lobby_load_restores_into_a_fresh_database(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(db, bank.unit(OUTLET))
    add_staff(db, bank, "lobby.a")
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), OUTLET, 1, T0)
    cb = build_complaint_bank(db, bank)
    for subject in ("柜面办理业务等候时间过长", "叫号屏不显示号码"):
        with db.session() as session:
            intake.register(session, cb.caller(db, "hotline"), cb.hotline_form(subject=subject), T0)

    load = LobbyLoad(db)
    load.start()
    try:
        load.wait_for(20)
        issued_before, completed_before = list(load.issued), list(load.completed)
        backup = tmp_path / "manyi-backup.sqlite3"
        made = manyi(monkeypatch, db.url, "db", "backup", "--to", str(backup))
        issued_during = len(load.issued)
        load.wait_for(issued_during + 20)  # the lobby worked on after the copy
    finally:
        load.halt.set()
        load.join(timeout=60)
    assert load.error is None, load.error
    assert made.exit_code == 0, made.output
    assert "backup written to" in made.stdout
    assert not Path(f"{backup}-wal").exists() and not Path(f"{backup}-writers").exists()

    fresh = tmp_path / "restored" / "manyi.sqlite3"
    fresh.parent.mkdir()
    fresh_url = f"sqlite:///{fresh}"
    restored = manyi(monkeypatch, fresh_url, "db", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.stdout
    verified = manyi(monkeypatch, fresh_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output

    copy = Database(fresh_url)
    try:
        # One moment of the lobby: numbered without gaps, every call and completion with its
        # event, the chain sealed to its last row; everything done before the copy began is in.
        assert lobby_problems(copy, issued_before, completed_before) == []
        assert _complaints(copy) == _complaints(db)
        # The restored chain says so itself: from which file (by its SHA-256).
        with copy.read() as session:
            last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == "db.restored"
        assert json.loads(last.summary)["sha256"] == _sha(backup)
        live, kept = _tickets(db), _tickets(copy)
        assert len(issued_before) <= len(kept) <= issued_during < len(live)
        for ticket_id, (number, state, *_rest) in kept.items():
            assert live[ticket_id][0] == number
            if state == "finished":  # finished tickets change no more: the same in both
                assert live[ticket_id] == kept[ticket_id]
    finally:
        copy.dispose()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_restore_refuses_what_it_cannot_trust_and_changes_nothing(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "good.sqlite3"
    assert manyi(monkeypatch, db.url, "db", "backup", "--to", str(backup)).exit_code == 0
    again = manyi(monkeypatch, db.url, "db", "backup", "--to", str(backup))
    assert again.exit_code == 2 and "a backup never overwrites" in again.stderr

    def altered(name: str, *statements: str) -> Path:
        bad = tmp_path / name
        bad.write_bytes(backup.read_bytes())
        with sqlite3.connect(bad) as conn:
            conn.execute("DROP TRIGGER audit_events_no_update")  # as an owner could
            for statement in statements:
                conn.execute(statement)
        return bad

    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database\n")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    refusals = {
        not_sqlite: "is not an SQLite database",
        foreign: "has no manyi schema version",
        altered("newer.sqlite3", "UPDATE alembic_version SET version_num = '9999'"): (
            "newer than this manyi knows"
        ),
        altered("tampered.sqlite3", "UPDATE audit_events SET actor = 'someone' WHERE seq = 2"): (
            "the audit chain of"
        ),
    }
    target = tmp_path / "target" / "manyi.sqlite3"
    target.parent.mkdir()
    target.write_bytes(backup.read_bytes())
    target_url = f"sqlite:///{target}"
    changed = Database(target_url)
    with changed.session() as session:  # since the backup: a unit more
        unit_service.create_unit(
            session,
            SYSTEM,
            unit_service.UnitFields(code="NEW", level=UnitLevel.OUTLET, name_zh="新网点",
                                    parent_id=bank.unit("SUB-A")),
        )  # fmt: skip
    changed.dispose()  # its WAL checkpointed: the file holds all of it
    before = _sha(target)
    for bad, reason in refusals.items():
        result = manyi(monkeypatch, target_url, "db", "restore", str(bad), "--replace")
        assert result.exit_code == 1, result.output
        assert reason in result.stderr, result.stderr
        assert _sha(target) == before
    kept = manyi(monkeypatch, target_url, "db", "restore", str(backup))
    assert kept.exit_code == 1 and "add --replace" in kept.stderr
    assert _sha(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "manyi.sqlite3",
        "manyi.sqlite3-writers",
    ]  # no staged copy left behind

    replaced = manyi(monkeypatch, target_url, "db", "restore", str(backup), "--replace")
    assert replaced.exit_code == 0, replaced.output
    with changed.read() as session:
        assert unit_service.unit_by_code(session, "NEW") is None  # back to the backup's moment
    changed.dispose()

    postgres = "postgresql+psycopg://manyi@db-host:5432/manyi"
    advice = manyi(monkeypatch, postgres, "db", "backup", "--to", str(tmp_path / "pg.dump"))
    assert advice.exit_code == 1 and "pg_dump --format=custom" in advice.stderr
    advice = manyi(monkeypatch, postgres, "db", "restore", str(backup))
    assert advice.exit_code == 1 and "pg_restore" in advice.stderr
    assert not (tmp_path / "pg.dump").exists()
