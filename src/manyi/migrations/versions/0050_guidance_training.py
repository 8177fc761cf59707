"""The typical-case library and scenario training (issue 23): cases, training modules with
their cases in order, a module's assignments to outlets, and staff's attempts.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-05 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guidance_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("not_names", sa.JSON(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "source_kind IN ('complaint', 'inspection', 'praise', 'misconduct')",
            name=op.f("ck_guidance_cases_source_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'published', 'returned')",
            name=op.f("ck_guidance_cases_state"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_guidance_cases_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff.id"], name=op.f("fk_guidance_cases_decided_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_guidance_cases_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_cases")),
    )
    op.create_index("ix_guidance_cases_state_path", "guidance_cases", ["state", "unit_path"])

    op.create_table(
        "guidance_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("pass_mark", sa.Float(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'published')", name=op.f("ck_guidance_modules_state")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_guidance_modules_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_modules")),
    )
    op.create_table(
        "guidance_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("finding", sa.String(length=60), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["staff.id"],
            name=op.f("fk_guidance_assignments_assigned_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["guidance_modules.id"],
            name=op.f("fk_guidance_assignments_module_id_guidance_modules"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_guidance_assignments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_assignments")),
        sa.UniqueConstraint("module_id", "unit_id", name=op.f("uq_guidance_assignments_module_id")),
    )
    op.create_index("ix_guidance_assignments_path", "guidance_assignments", ["unit_path"])

    op.create_table(
        "guidance_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("right", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["guidance_modules.id"],
            name=op.f("fk_guidance_attempts_module_id_guidance_modules"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_guidance_attempts_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_guidance_attempts_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_attempts")),
    )
    op.create_index("ix_guidance_attempts_path", "guidance_attempts", ["unit_path"])
    op.create_index(
        "ix_guidance_attempts_staff_module", "guidance_attempts", ["staff_id", "module_id"]
    )

    op.create_table(
        "guidance_module_cases",
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["guidance_cases.id"],
            name=op.f("fk_guidance_module_cases_case_id_guidance_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["guidance_modules.id"],
            name=op.f("fk_guidance_module_cases_module_id_guidance_modules"),
        ),
        sa.PrimaryKeyConstraint("module_id", "position", name=op.f("pk_guidance_module_cases")),
    )


def downgrade() -> None:
    op.drop_index("ix_guidance_attempts_path", table_name="guidance_attempts")
    op.drop_index("ix_guidance_attempts_staff_module", table_name="guidance_attempts")
    op.drop_table("guidance_attempts")
    op.drop_index("ix_guidance_assignments_path", table_name="guidance_assignments")
    op.drop_table("guidance_assignments")
    op.drop_table("guidance_module_cases")
    op.drop_table("guidance_modules")
    op.drop_index("ix_guidance_cases_state_path", table_name="guidance_cases")
    op.drop_table("guidance_cases")
