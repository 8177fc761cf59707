"""Audit: every event sealed with HMAC-SHA-256 under the bank's key, `unit_path` included.

Adds `audit_events.key_id` and re-seals the events already there, once, in order, with the
current key (`MANYI_AUDIT_KEY`): their content is kept, each gets a keyed seal of every column
and the link to the one before. Before this, a chain could be recomputed by anyone who could
write to the database; what such a person may have done before this migration cannot be told
afterwards, so the migration says so — on the console, and as an `audit.resealed` event at the
end of the chain (how many rows, under which key id).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:40:00.000000
"""

import datetime as dt
import sys
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db
from manyi.audit.chain import GENESIS_HASH, canonical_summary, seal
from manyi.audit.keys import keys_from_settings
from manyi.config import load_settings

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this migration sees it, typed so that times read and write as the app's do.
EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("occurred_at", manyi.db.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("actor", sa.String),
    sa.column("unit_id", sa.Integer),
    sa.column("unit_path", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("action", sa.String),
    sa.column("summary", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("key_id", sa.String),
    sa.column("hash", sa.String),
)
HEAD = sa.table("audit_head", sa.column("seq", sa.Integer), sa.column("last_hash", sa.String))


def upgrade() -> None:
    op.add_column(
        "audit_events",
        sa.Column("key_id", sa.String(length=16), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(EVENTS).order_by(EVENTS.c.seq)).all()
    if not rows:
        return
    settings = load_settings()
    keys = keys_from_settings(settings.audit_key, settings.audit_retired_keys)
    _append_only(False)
    prev = GENESIS_HASH
    for row in rows:
        fields = _fields(row, prev, keys.current_id)
        prev = seal(keys, **fields)
        bind.execute(
            sa.update(EVENTS)
            .where(EVENTS.c.id == row.id)
            .values(prev_hash=fields["prev_hash"], key_id=keys.current_id, hash=prev)
        )
    _append_only(True)
    # The re-sealing itself, at the end of the chain.
    seq = rows[-1].seq + 1
    now = dt.datetime.now(dt.UTC)
    event = {
        "seq": seq,
        "occurred_at": now,
        "actor_id": None,
        "actor": "migration 0012",
        "unit_id": None,
        "unit_path": "",
        "entity_type": "audit",
        "entity_id": "chain",
        "action": "audit.resealed",
        "summary": canonical_summary({"rows": len(rows), "key_id": keys.current_id}),
        "prev_hash": prev,
        "key_id": keys.current_id,
    }
    digest = seal(keys, **event)
    bind.execute(sa.insert(EVENTS).values(**event, hash=digest))
    bind.execute(sa.update(HEAD).values(seq=seq, last_hash=digest))
    print(
        f"audit chain: {len(rows)} earlier events re-sealed with HMAC-SHA-256 under key "
        f"{keys.current_id}; changes made to them before this upgrade cannot be detected",
        file=sys.stderr,
    )


def downgrade() -> None:
    # The seals stay keyed; an older manyi will report them as altered.
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("key_id")


def _fields(row: sa.Row[tuple[object, ...]], prev: str, key_id: str) -> dict[str, object]:
    return {
        "seq": row.seq,
        "occurred_at": row.occurred_at,
        "actor_id": row.actor_id,
        "actor": row.actor,
        "unit_id": row.unit_id,
        "unit_path": row.unit_path or "",
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "action": row.action,
        "summary": row.summary,
        "prev_hash": prev,
        "key_id": key_id,
    }


def _append_only(on: bool) -> None:
    """The append-only triggers of 0001, off for the re-sealing and back on after it."""
    if op.get_bind().dialect.name == "postgresql":
        state = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE audit_events {state} TRIGGER audit_events_append_only")
        return
    if not on:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
