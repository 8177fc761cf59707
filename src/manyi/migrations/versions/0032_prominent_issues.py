"""Prominent issues (issue 19): the emerging-issue detector's alerts, one per category × unit
× week.

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0032"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_issue_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_insight_issue_alerts_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_issue_alerts")),
        sa.UniqueConstraint("category_code", "unit_id", "week", name="uq_insight_issue_alert"),
    )
    op.create_index(
        "ix_insight_issue_alerts_scope",
        "insight_issue_alerts",
        ["unit_path", "week"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_insight_issue_alerts_scope", table_name="insight_issue_alerts")
    op.drop_table("insight_issue_alerts")
