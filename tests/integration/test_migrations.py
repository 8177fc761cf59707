"""The migrations build exactly the schema the ORM describes, on both engines."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from manyi import audit
from manyi.audit.keys import DEVELOPMENT_KEYS
from manyi.audit.tables import AuditEvent
from manyi.db import Database, upgrade
from manyi.models import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_an_existing_chain_is_resealed_once_and_says_so(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Migration 0012: events sealed by plain SHA-256 before it get keyed seals, in order."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0011")
    old = Database(url)
    prev = "0" * 64
    when = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    with old.engine.begin() as conn:
        for seq in (1, 2, 3):
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            payload = [seq, stamp, None, "old", 1, "t", str(seq), "x.done", "{}", prev]
            digest = hashlib.sha256(
                json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            ).hexdigest()
            conn.execute(
                text(
                    "INSERT INTO audit_events (seq, occurred_at, actor_id, actor, unit_id,"
                    " unit_path, entity_type, entity_id, action, summary, prev_hash, hash)"
                    " VALUES (:s, :w, NULL, 'old', 1, '/1/', 't', :e, 'x.done', '{}', :p, :h)"
                ),
                {
                    "s": seq,
                    "w": when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "e": str(seq),
                    "p": prev,
                    "h": digest,
                },
            )
            prev = digest
        conn.execute(text("UPDATE audit_head SET seq = 3, last_hash = :h"), {"h": prev})
    old.dispose()
    upgrade(url)
    assert "3 earlier events re-sealed" in capfd.readouterr().err
    new = Database(url)
    try:
        with new.session() as session:
            result = audit.verify(session)
            assert result.ok and result.rows == 4
            rows = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [r.action for r in rows] == ["x.done", "x.done", "x.done", "audit.resealed"]
        assert {r.key_id for r in rows} == {DEVELOPMENT_KEYS.current_id}
        assert '"rows":3' in rows[-1].summary
        with new.engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text("DELETE FROM audit_events"))  # append-only again
    finally:
        new.dispose()
