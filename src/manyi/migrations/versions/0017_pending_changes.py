"""Maker-checker: changes to deadline policies and to the catalogue's authorisation rules wait in
`pending_changes` for a second head-office administrator's approval.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("proposed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_pending_changes_state"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["staff.id"], name=op.f("fk_pending_changes_proposed_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff.id"], name=op.f("fk_pending_changes_decided_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_changes")),
    )
    op.create_index(
        "ix_pending_changes_kind_state", "pending_changes", ["kind", "state"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pending_changes_kind_state", table_name="pending_changes")
    op.drop_table("pending_changes")
