"""Rectification tasks (issue 18): tasks, submissions of evidence and their files, the
escalation ladder's steps; an index on the audit log by entity (a task's timeline).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:36:05.246773
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

At = manyi.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rectification_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence_required", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issuer_unit_id", sa.Integer(), nullable=True),
        sa.Column("issuer_unit_path", sa.String(length=400), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.Column("updated_at", At, nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("closed_at", At, nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("last_reason", sa.Text(), nullable=False),
        sa.Column("recheck", sa.String(length=16), nullable=True),
        sa.Column("recheck_ref", sa.String(length=200), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_check_at", At, nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["staff.id"], name=op.f("fk_rectification_tasks_issued_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_unit_id"],
            ["units.id"],
            name=op.f("fk_rectification_tasks_issuer_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_rectification_tasks_owner_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rectification_tasks_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_tasks")),
    )
    with op.batch_alter_table("rectification_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_rectification_tasks_next_check", ["next_check_at"])
        batch_op.create_index(batch_op.f("ix_rectification_tasks_owner_id"), ["owner_id"])
        batch_op.create_index(
            "ix_rectification_tasks_scope",
            ["unit_path", "state"],
            postgresql_ops={"unit_path": "text_pattern_ops"},
        )
        batch_op.create_index("ix_rectification_tasks_source", ["source", "source_ref"])
        batch_op.create_index(batch_op.f("ix_rectification_tasks_unit_id"), ["unit_id"])

    op.create_table(
        "rectification_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_rectification_escalations_task_id_rectification_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rectification_escalations_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_escalations")),
        sa.UniqueConstraint("task_id", "level", name="uq_rectification_escalation"),
    )
    with op.batch_alter_table("rectification_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_escalations_task_id"), ["task_id"])

    op.create_table(
        "rectification_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", At, nullable=False),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["staff.id"],
            name=op.f("fk_rectification_submissions_submitted_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_rectification_submissions_task_id_rectification_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_submissions")),
        sa.UniqueConstraint("task_id", "round", name="uq_rectification_submission"),
    )
    with op.batch_alter_table("rectification_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_submissions_task_id"), ["task_id"])

    op.create_table(
        "rectification_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", At, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["rectification_submissions.id"],
            name=op.f("fk_rectification_evidence_submission_id_rectification_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_rectification_evidence_task_id_rectification_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_evidence")),
    )
    with op.batch_alter_table("rectification_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_evidence_sha256"), ["sha256"])
        batch_op.create_index(
            batch_op.f("ix_rectification_evidence_submission_id"), ["submission_id"]
        )
        batch_op.create_index(batch_op.f("ix_rectification_evidence_task_id"), ["task_id"])

    op.create_index("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.drop_table("rectification_evidence")
    op.drop_table("rectification_submissions")
    op.drop_table("rectification_escalations")
    op.drop_table("rectification_tasks")
