"""The audit chain detects an altered, deleted or inserted row anywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from manyi import audit
from manyi.audit.chain import seal
from manyi.audit.keys import DEVELOPMENT_KEYS
from manyi.audit.tables import AuditEvent
from manyi.db import Database
from tests.conftest import tamper_audit as tamper

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

ACTOR = audit.Actor(id=7, name="tester", unit_id=1, unit_path="/1/")


def fill(db: Database, n: int = 6) -> None:
    with db.session() as session:
        for i in range(n):
            audit.record(
                session,
                ACTOR,
                entity_type="thing",
                entity_id=i,
                action="thing.changed",
                summary={"i": i, "名称": "测试"},
            )


def verify(db: Database) -> audit.VerifyResult:
    with db.session() as session:
        return audit.verify(session)


def test_intact_chain_verifies(db: Database) -> None:
    fill(db)
    result = verify(db)
    assert result.ok and result.rows == 6


def test_append_only_at_the_database(db: Database) -> None:
    fill(db, 2)
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify(db).ok


def test_altered_row_is_reported(db: Database) -> None:
    fill(db)
    tamper(db, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3")
    result = verify(db)
    assert not result.ok and result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "altered")


def test_deleted_row_in_the_middle_is_reported(db: Database) -> None:
    fill(db)
    tamper(db, "DELETE FROM audit_events WHERE seq = 4")
    result = verify(db)
    assert result.problem is not None and (result.problem.seq, result.problem.kind) == (
        4,
        "missing",
    )


def test_deleted_last_row_is_reported(db: Database) -> None:
    fill(db)
    tamper(db, "DELETE FROM audit_events WHERE seq = 6")
    result = verify(db)
    assert result.problem is not None and result.problem.seq == 6


def test_inserted_row_is_reported_even_with_a_valid_own_hash(db: Database) -> None:
    fill(db)
    with db.session() as session:
        row2 = session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        assert row2 is not None
        prev = row2.hash
    # Forge a row 3 that links to row 2 and carries a correct hash of its own,
    # shifting the real rows 3.. up by one.
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    forged = seal(
        DEVELOPMENT_KEYS,
        seq=3,
        occurred_at=when,
        actor_id=1,
        actor="intruder",
        unit_id=None,
        unit_path="",
        key_id=DEVELOPMENT_KEYS.current_id,
        entity_type="thing",
        entity_id="x",
        action="thing.changed",
        summary="[]",
        prev_hash=prev,
    )
    tamper(
        db,
        "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 3",
        "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1003",
        "INSERT INTO audit_events (seq, occurred_at, actor_id, actor, unit_id, unit_path,"
        " entity_type, entity_id, action, summary, prev_hash, key_id, hash)"
        " VALUES (3, '2026-01-01 00:00:00+00:00', 1,"
        f" 'intruder', NULL, '', 'thing', 'x', 'thing.changed', '[]', '{prev}',"
        f" '{DEVELOPMENT_KEYS.current_id}', '{forged}')",
    )
    result = verify(db)
    assert result.problem is not None
    # Row 3 itself is self-consistent; the break shows at the row after it.
    assert result.problem.seq == 4


def test_concurrent_appends_never_fork_the_chain(db: Database) -> None:
    import threading

    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(10):
                with db.session() as session:
                    audit.record(session, ACTOR, entity_type="t", entity_id=f"{k}-{i}", action="a")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = verify(db)
    assert result.ok and result.rows == 40


def test_sign_ins_and_role_changes_are_audited(db: Database) -> None:
    from tests.conftest import PASSWORD, build_bank
    from tests.web_helpers import csrf_of, make_client, sign_in

    bank = build_bank(db)
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    token = csrf_of(client, f"/admin/staff/{bank.staff['teller_a']}")
    response = client.post(
        f"/admin/staff/{bank.staff['teller_a']}",
        data={
            "csrf_token": token,
            "display_name": "柜员甲",
            "unit_id": str(bank.unit("OUT-A")),
            "roles": ["teller", "supervisor"],
            "active": "on",
        },
    )
    assert response.status_code == 303
    with db.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        change = [r for r in rows if r.action == "staff.roles_changed"]
        assert len(change) == 1
        assert '"after":["supervisor","teller"]' in change[0].summary or (
            "supervisor" in change[0].summary and change[0].actor == "admin"
        )
        assert any(r.action == "auth.signed_in" and r.actor == "admin" for r in rows)
    assert verify(db).ok
