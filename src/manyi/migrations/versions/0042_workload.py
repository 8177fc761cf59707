"""Teller workload (issue 21): lobby services' default complexity weights and the anonymous
monthly staff pulse survey (answers without staff, and who answered which month).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workload_service_weights",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "weight > 0 AND weight <= 10", name=op.f("ck_workload_service_weights_weight")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_workload_service_weights_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "outlet_id", "service_code", name=op.f("pk_workload_service_weights")
        ),
    )
    op.create_table(
        "workload_pulse_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("workload", sa.SmallInteger(), nullable=False),
        sa.Column("support", sa.SmallInteger(), nullable=False),
        sa.Column("pressure", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "workload BETWEEN 1 AND 5", name=op.f("ck_workload_pulse_answers_workload")
        ),
        sa.CheckConstraint(
            "support BETWEEN 1 AND 5", name=op.f("ck_workload_pulse_answers_support")
        ),
        sa.CheckConstraint(
            "pressure BETWEEN 1 AND 5", name=op.f("ck_workload_pulse_answers_pressure")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_workload_pulse_answers_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workload_pulse_answers")),
    )
    op.create_index(
        "ix_workload_pulse_answers_month_path",
        "workload_pulse_answers",
        ["month", "unit_path"],
        unique=False,
    )
    op.create_table(
        "workload_pulse_answered",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_workload_pulse_answered_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", "month", name=op.f("pk_workload_pulse_answered")),
    )


def downgrade() -> None:
    op.drop_table("workload_pulse_answered")
    op.drop_index("ix_workload_pulse_answers_month_path", table_name="workload_pulse_answers")
    op.drop_table("workload_pulse_answers")
    op.drop_table("workload_service_weights")
