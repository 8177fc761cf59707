"""Notify: the outbox of notifications to staff.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = "state IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient_staff_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("channel IN ('in_app', 'sms')", name=op.f("ck_notify_outbox_channel")),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_notify_outbox_state"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notify_outbox_attempts")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_notify_outbox_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_staff_id"],
            ["staff.id"],
            name=op.f("fk_notify_outbox_recipient_staff_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_notify_outbox_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notify_outbox_dedupe_key")),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_outbox_due",
            ["state", "next_attempt_at"],
            unique=False,
            sqlite_where=sa.text(UNFINISHED),
            postgresql_where=sa.text(UNFINISHED),
        )
        batch_op.create_index(
            "ix_notify_outbox_inbox",
            ["recipient_staff_id", "channel", "state", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_outbox_inbox")
        batch_op.drop_index(
            "ix_notify_outbox_due",
            sqlite_where=sa.text(UNFINISHED),
            postgresql_where=sa.text(UNFINISHED),
        )

    op.drop_table("notify_outbox")
