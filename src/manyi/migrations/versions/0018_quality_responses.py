"""Satisfaction responses (issue 17): one row per answered survey or imported response.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_responses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("teller_staff_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=True),
        sa.Column("answered_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("ces", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("imported_batch", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "source IN ('import', 'survey', 'rating_pad')", name=op.f("ck_quality_responses_source")
        ),
        sa.CheckConstraint(
            "trigger IS NULL OR trigger IN ('ticket', 'bundle', 'complaint', 'visit')",
            name=op.f("ck_quality_responses_trigger"),
        ),
        sa.CheckConstraint(
            "csat IS NULL OR csat BETWEEN 1 AND 5", name=op.f("ck_quality_responses_csat")
        ),
        sa.CheckConstraint(
            "nps IS NULL OR nps BETWEEN 0 AND 10", name=op.f("ck_quality_responses_nps")
        ),
        sa.CheckConstraint(
            "ces IS NULL OR ces BETWEEN 1 AND 7", name=op.f("ck_quality_responses_ces")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_quality_responses_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["teller_staff_id"],
            ["staff.id"],
            name=op.f("fk_quality_responses_teller_staff_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_responses")),
        sa.UniqueConstraint(
            "source", "external_id", name="uq_quality_responses_source_external_id"
        ),
    )
    op.create_index(
        "ix_quality_responses_outlet_answered",
        "quality_responses",
        ["outlet_id", "answered_at"],
        unique=False,
    )
    op.create_index(
        "ix_quality_responses_path_answered",
        "quality_responses",
        ["unit_path", "answered_at"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )
    op.create_index(
        "ix_quality_responses_teller_answered",
        "quality_responses",
        ["teller_staff_id", "answered_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_quality_responses_teller_answered", table_name="quality_responses")
    op.drop_index("ix_quality_responses_path_answered", table_name="quality_responses")
    op.drop_index("ix_quality_responses_outlet_answered", table_name="quality_responses")
    op.drop_table("quality_responses")
