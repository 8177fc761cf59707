"""Flexible-counter advice: what was advised, when, whether it was acted on; the
rule's memory per outlet.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:44:05.905097
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lobby_advice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("counter_number", sa.Integer(), nullable=True),
        sa.Column("given_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acted_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "acted_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_advice_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lobby_advice")),
    )
    with op.batch_alter_table("lobby_advice", schema=None) as batch_op:
        batch_op.create_index("ix_lobby_advice_outlet", ["outlet_id", "ended_at"], unique=False)

    op.create_table(
        "lobby_advice_state",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("high_since", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("low_since", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("standing", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_advice_state_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_lobby_advice_state")),
    )


def downgrade() -> None:
    op.drop_table("lobby_advice_state")
    with op.batch_alter_table("lobby_advice", schema=None) as batch_op:
        batch_op.drop_index("ix_lobby_advice_outlet")

    op.drop_table("lobby_advice")
