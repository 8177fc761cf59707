"""Complaint analysis roll-up (issue 19, "Speed"): figures per local month × tier-1 branch ×
dimension key, the months' validity, and an index on complaints' last update that finds the
cases changed since a month was counted (insight/rollup.py).

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0034"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_complaint_rollup",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("unit_path", sa.String(400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("upheld", sa.Integer(), nullable=False),
        sa.Column("with_verdict", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "zone", "month", "unit_id", "dimension", "key", name="pk_insight_complaint_rollup"
        ),
    )
    op.create_table(
        "insight_complaint_rollup_months",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("valid_as_of", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("units_as_of", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ids_as_of", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone", "month", name="pk_insight_complaint_rollup_months"),
    )
    op.create_index("ix_complaints_updated_at", "complaints", ["updated_at", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_complaints_updated_at", table_name="complaints")
    op.drop_table("insight_complaint_rollup_months")
    op.drop_table("insight_complaint_rollup")
