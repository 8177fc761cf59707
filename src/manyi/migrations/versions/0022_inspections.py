"""Service standards and inspections (issue 18): checklist versions, visits, results.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["staff.id"],
            name=op.f("fk_service_standards_published_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
        sa.UniqueConstraint("version", name=op.f("uq_service_standards_version")),
    )
    op.create_table(
        "inspection_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recheck_of_task_id", sa.Integer(), nullable=True),
        sa.Column("plan_ref", sa.String(length=120), nullable=True),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_inspection_visits_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["service_standards.id"],
            name=op.f("fk_inspection_visits_standard_id_service_standards"),
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["staff.id"], name=op.f("fk_inspection_visits_inspector_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_inspection_visits_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["staff.id"],
            name=op.f("fk_inspection_visits_submitted_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_visits")),
    )
    op.create_index("ix_inspection_visits_scope", "inspection_visits", ["unit_path", "planned_on"])
    op.create_index("ix_inspection_visits_state", "inspection_visits", ["state", "planned_on"])
    op.create_index("ix_inspection_visits_plan_ref", "inspection_visits", ["plan_ref"])
    op.create_index("ix_inspection_visits_recheck", "inspection_visits", ["recheck_of_task_id"])
    op.create_table(
        "inspection_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["inspection_visits.id"],
            name=op.f("fk_inspection_results_visit_id_inspection_visits"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff.id"],
            name=op.f("fk_inspection_results_recorded_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_results")),
        sa.UniqueConstraint("visit_id", "item_code", name="uq_inspection_results_item"),
    )


def downgrade() -> None:
    op.drop_table("inspection_results")
    op.drop_index("ix_inspection_visits_recheck", table_name="inspection_visits")
    op.drop_index("ix_inspection_visits_plan_ref", table_name="inspection_visits")
    op.drop_index("ix_inspection_visits_state", table_name="inspection_visits")
    op.drop_index("ix_inspection_visits_scope", table_name="inspection_visits")
    op.drop_table("inspection_visits")
    op.drop_table("service_standards")
