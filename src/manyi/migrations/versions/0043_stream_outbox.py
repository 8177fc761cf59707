"""The event stream (issue 21): the outbox of committed events waiting for NATS JetStream, and
the ledger of event ids a consumer has applied.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stream_outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", BIG_ID, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", BIG_ID, nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_table(
        "stream_processed",
        sa.Column("consumer", sa.String(60), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stream_processed")
    op.drop_table("stream_outbox")
