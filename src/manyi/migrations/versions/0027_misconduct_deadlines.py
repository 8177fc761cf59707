"""Misconduct investigation deadlines watched by the worker (issue 18, sup-links): when each
case is looked at next, and one row per notice sent (at risk, overdue).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("misconduct_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_check_at", manyi.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_misconduct_cases_deadline_check", ["deadline_check_at"])
    # Cases still under investigation are looked at on the worker's next round.
    op.execute(
        "UPDATE misconduct_cases SET deadline_check_at = opened_at"
        " WHERE state IN ('reported', 'investigating')"
    )

    t = "misconduct_deadline_notices"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["misconduct_cases.id"],
            name=op.f("fk_misconduct_deadline_notices_case_id_misconduct_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("case_id", "step", name="uq_misconduct_deadline_notices_step"),
    )
    op.create_index(op.f("ix_misconduct_deadline_notices_case_id"), t, ["case_id"])


def downgrade() -> None:
    op.drop_table("misconduct_deadline_notices")
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop and recreate
    # `misconduct_cases`, which its sanctions and parties refer to.
    op.drop_index("ix_misconduct_cases_deadline_check", table_name="misconduct_cases")
    op.drop_column("misconduct_cases", "deadline_check_at")
