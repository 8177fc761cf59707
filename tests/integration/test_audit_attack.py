"""Someone who can write to the database rewrites the audit log; `verify` catches it.

The attack of issue 16: drop the append-only triggers, change a row, delete one, recompute
every hash after them and reset `audit_head` to match. Without the audit key (HMAC), the
recomputed seals are wrong; with the key but without the anchors kept outside the database,
a rewrite before an anchor or a tail cut back past one is caught by `verify --anchors`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select, text

from manyi import audit
from manyi.audit import service
from manyi.audit.anchors import DirectoryAnchorStore
from manyi.audit.chain import GENESIS_HASH, seal, sealed_text
from manyi.audit.keys import DEVELOPMENT_KEYS, AuditKeys
from manyi.audit.tables import AuditEvent
from manyi.db import Database
from tests.conftest import FIXED_NOW
from tests.conftest import tamper_audit as tamper

pytestmark = pytest.mark.usefixtures("frozen_clock")
ACTOR = audit.Actor(id=7, name="tester", unit_id=1, unit_path="/1/")


def fill(db: Database, n: int, start: int = 0) -> None:
    with db.session() as session:
        for i in range(start, start + n):
            audit.record(session, ACTOR, entity_type="thing", entity_id=i, action="thing.changed")


def verify(db: Database, anchors: Path | None = None) -> audit.VerifyResult:
    store = DirectoryAnchorStore(anchors) if anchors is not None else None
    with db.session() as session:
        return audit.verify(session, store)


def rewrite(db: Database, digest: object, *statements: str) -> None:
    """Run `statements` without the triggers, then re-link and re-seal every row in order with
    `digest(fields) -> str`, and reset the head to the new last row: a full rewrite."""
    tamper(db, *statements)
    with db.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        updates = []
        prev = GENESIS_HASH
        for row in rows:
            fields = {
                c: getattr(row, c)
                for c in [
                    "seq",
                    "occurred_at",
                    "actor_id",
                    "actor",
                    "unit_id",
                    "unit_path",
                    "entity_type",
                    "entity_id",
                    "action",
                    "summary",
                    "key_id",
                ]
            }
            fields["prev_hash"] = prev
            prev = digest(fields)  # type: ignore[operator]
            updates.append(
                f"UPDATE audit_events SET prev_hash = '{fields['prev_hash']}', hash = '{prev}'"
                f" WHERE seq = {row.seq}"
            )
        last = rows[-1].seq
    tamper(db, *updates, f"UPDATE audit_head SET seq = {last}, last_hash = '{prev}'")


def plain_sha256(fields: dict[str, object]) -> str:
    return hashlib.sha256(sealed_text(**fields)).hexdigest()  # type: ignore[arg-type]


def test_a_full_rewrite_without_the_key_is_caught(db: Database) -> None:
    fill(db, 8)
    assert verify(db).ok
    rewrite(
        db,
        plain_sha256,
        "UPDATE audit_events SET actor = 'someone-else', unit_path = '/9/' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 5",
        "UPDATE audit_events SET seq = seq - 1 WHERE seq > 5",
    )
    result = verify(db)
    assert not result.ok and result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (1, "altered")
    # Under a key of the intruder's own choosing it fails the same way.
    intruder = AuditKeys.of("intruder-chosen-key-" + "z" * 20)
    rewrite(db, lambda f: intruder.seal(intruder.current_id, sealed_text(**f)))
    result = verify(db)
    assert result.problem is not None and result.problem.kind == "altered"


def test_with_the_key_a_rewrite_before_an_anchor_is_caught(db: Database, tmp_path: Path) -> None:
    fill(db, 6)
    anchors = tmp_path / "anchors"
    with db.session() as session:
        assert service.anchor(session, DirectoryAnchorStore(anchors), FIXED_NOW) is not None
        assert service.anchor(session, DirectoryAnchorStore(anchors), FIXED_NOW) is None  # same
    fill(db, 3, start=6)
    assert verify(db, anchors).ok
    # An insider holding the key rewrites row 2 and re-seals everything after it.
    rewrite(
        db,
        lambda f: seal(DEVELOPMENT_KEYS, **f),
        "UPDATE audit_events SET summary = '[2]' WHERE seq = 2",
    )
    assert verify(db).ok  # the chain alone cannot tell
    result = verify(db, anchors)
    assert result.problem is not None and result.problem.kind == "rewritten"
    assert result.problem.seq == 6 and "anchor of" in result.problem.detail


def test_a_tail_cut_back_past_an_anchor_is_caught(db: Database, tmp_path: Path) -> None:
    fill(db, 6)
    anchors = tmp_path / "anchors"
    with db.session() as session:
        service.anchor(session, DirectoryAnchorStore(anchors), FIXED_NOW)
    # Delete the newest rows and reset the head to match: the chain itself is consistent.
    with db.session() as session:
        row4 = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 4))
    tamper(
        db,
        "DELETE FROM audit_events WHERE seq > 4",
        f"UPDATE audit_head SET seq = 4, last_hash = '{row4}'",
    )
    assert verify(db).ok
    result = verify(db, anchors)
    assert result.problem is not None and result.problem.kind == "truncated"
    assert "rows were deleted from the end" in result.problem.detail


def test_a_forged_or_unreadable_anchor_is_reported(db: Database, tmp_path: Path) -> None:
    fill(db, 3)
    anchors = tmp_path / "anchors"
    with db.session() as session:
        where = service.anchor(session, DirectoryAnchorStore(anchors), FIXED_NOW)
    assert where is not None
    path = Path(where)
    path.chmod(0o644)
    path.write_text(path.read_text().replace('"seq": 3', '"seq": 2'))
    result = verify(db, anchors)
    assert result.problem is not None and result.problem.kind == "anchor_forged"
    path.write_text("not json")
    result = verify(db, anchors)
    assert result.problem is not None and result.problem.kind == "anchor_unreadable"


def test_anchors_never_overwrite_one_another(db: Database, tmp_path: Path) -> None:
    fill(db, 2)
    store = DirectoryAnchorStore(tmp_path)
    with db.session() as session:
        first = service.anchor(session, store, FIXED_NOW)
    assert first is not None
    fill(db, 1, start=2)
    with db.session() as session:
        second = service.anchor(session, store, FIXED_NOW + dt.timedelta(hours=1))
    assert second is not None and second != first
    kept, unreadable = store.read_all()
    assert [a.seq for a in kept] == [2, 3] and not unreadable
    assert not Path(first).stat().st_mode & 0o222  # read-only once written


def test_events_are_sealed_with_the_databases_key(tmp_path: Path, sqlite_template: Path) -> None:
    import shutil

    target = tmp_path / "keyed.sqlite3"
    shutil.copyfile(sqlite_template, target)
    keys = AuditKeys.of("the-banks-own-audit-key-" + "k" * 20)
    keyed = Database(f"sqlite:///{target}", {"audit_keys": keys})
    try:
        fill(keyed, 2)
        with keyed.session() as session:
            assert set(session.scalars(select(AuditEvent.key_id))) == {keys.current_id}
            assert audit.verify(session).ok
        # The same rows read without the key do not verify.
        plain = Database(f"sqlite:///{target}")
        with plain.session() as session:
            result = audit.verify(session)
        plain.dispose()
        assert result.problem is not None and result.problem.kind == "unknown_key"
        with keyed.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
    finally:
        keyed.dispose()
