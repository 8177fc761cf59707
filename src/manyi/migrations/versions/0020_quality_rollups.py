"""Satisfaction roll-ups (issue 17): per outlet and local month sums kept by the worker, its
watermark and dirty (outlet, month) list, and an index on quality_responses.answered_at.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "responses",
    "csat_n",
    "csat_top2",
    "csat_sum",
    "csat_sumsq",
    "nps_n",
    "nps_pro",
    "nps_det",
    "ces_n",
    "ces_sum",
    "ces_sumsq",
)


def upgrade() -> None:
    op.create_table(
        "quality_monthly",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_quality_monthly_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_monthly")),
        sa.UniqueConstraint("outlet_id", "unit_path", "month", name="uq_quality_monthly_key"),
    )
    op.create_index(
        "ix_quality_monthly_path_month",
        "quality_monthly",
        ["unit_path", "month"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )
    op.create_index("ix_quality_monthly_month", "quality_monthly", ["month"], unique=False)
    op.create_table(
        "quality_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rollup_state")),
    )
    op.create_table(
        "quality_rollup_dirty",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("starts_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id", "month", name=op.f("pk_quality_rollup_dirty")),
    )
    op.create_index(
        "ix_quality_responses_answered", "quality_responses", ["answered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_quality_responses_answered", table_name="quality_responses")
    op.drop_table("quality_rollup_dirty")
    op.drop_table("quality_rollup_state")
    op.drop_index("ix_quality_monthly_month", table_name="quality_monthly")
    op.drop_index("ix_quality_monthly_path_month", table_name="quality_monthly")
    op.drop_table("quality_monthly")
