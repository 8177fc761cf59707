"""Complaints: cases, timeline, categories, deadline policies, extensions, experts,
consultations, supervision (督办), attachments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:58:57.410737
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A moment: an aware UTC timestamp column."""
    return sa.Column(name, manyi.db.UTCDateTime(timezone=True), nullable=nullable)


def _complaint_id() -> sa.Column[Any]:
    """A child table's link to its case (the case's id: BIGINT, INTEGER on SQLite)."""
    return sa.Column(
        "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
    )


def _cascade_from_complaint(table: str) -> sa.ForeignKeyConstraint:
    """`complaint_id` → complaints.id, the child's rows deleted with the case."""
    return sa.ForeignKeyConstraint(
        ["complaint_id"],
        ["complaints.id"],
        name=op.f(f"fk_{table}_complaint_id_complaints"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "complaint_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("axis", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "axis IN ('channel', 'business', 'cause')", name=op.f("ck_complaint_categories_axis")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_categories")),
        sa.UniqueConstraint("axis", "code", name="uq_complaint_categories_axis_code"),
    )
    op.create_table(
        "complaint_policies",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("close_after_days", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_complaint_policies")),
    )
    op.create_table(
        "complaint_experts",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("business_codes", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_complaint_experts_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_complaint_experts")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("query_code_hash", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("intake", sa.String(length=20), nullable=False),
        sa.Column("intake_ref", sa.String(length=200), nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=True),
        sa.Column("business_code", sa.String(length=64), nullable=True),
        sa.Column("cause_code", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("product", sa.String(length=300), nullable=False),
        sa.Column("complainant_name", sa.String(length=100), nullable=False),
        sa.Column("complainant_phone", sa.String(length=20), nullable=False),
        sa.Column("complainant_id_number", sa.String(length=18), nullable=False),
        sa.Column("complainant_email", sa.String(length=200), nullable=False),
        sa.Column("complainant_address", sa.String(length=300), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=True),
        sa.Column("registered_unit_id", sa.Integer(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=False),
        sa.Column("responsible_unit_path", sa.String(length=400), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        _at("received_at"),
        _at("registered_at"),
        sa.Column("regulator_ref", sa.String(length=64), nullable=False),
        sa.Column("regulator_received_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("policy_code", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("deadline_stage", sa.Integer(), nullable=False),
        _at("clock_started_at"),
        _at("due_at", nullable=True),
        _at("next_check_at", nullable=True),
        sa.Column("risk_notified", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        _at("overdue_since", nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("reply_channel", sa.String(length=20), nullable=True),
        _at("decided_at", nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("rectification_ref", sa.String(length=64), nullable=False),
        _at("closed_at", nullable=True),
        sa.Column("close_reason", sa.String(length=20), nullable=True),
        _at("updated_at"),
        sa.CheckConstraint(
            "state IN ('registered', 'assigned', 'investigating', 'decided', 'closed', 'withdrawn')",
            name=op.f("ck_complaints_state"),
        ),
        sa.CheckConstraint("deadline_stage >= 0", name=op.f("ck_complaints_deadline_stage")),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["staff.id"], name=op.f("fk_complaints_handler_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["staff.id"], name=op.f("fk_complaints_registered_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["registered_unit_id"],
            ["units.id"],
            name=op.f("fk_complaints_registered_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"],
            ["units.id"],
            name=op.f("fk_complaints_responsible_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
        sa.UniqueConstraint("source", "external_id", name="uq_complaints_source_external_id"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_handler_state", ["handler_id", "state"], unique=False)
        batch_op.create_index(
            "ix_complaints_next_check",
            ["next_check_at"],
            unique=False,
            postgresql_where=sa.text("next_check_at IS NOT NULL"),
            sqlite_where=sa.text("next_check_at IS NOT NULL"),
        )
        batch_op.create_index(batch_op.f("ix_complaints_person_key"), ["person_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_responsible_unit_path"),
            ["responsible_unit_path"],
            unique=False,
        )
        batch_op.create_index(
            "ix_complaints_unit_state", ["responsible_unit_id", "state"], unique=False
        )

    op.create_table(
        "complaint_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        _complaint_id(),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        _at("uploaded_at"),
        sa.Column("public", sa.Boolean(), nullable=False),
        _cascade_from_complaint("complaint_attachments"),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["staff.id"],
            name=op.f("fk_complaint_attachments_uploaded_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachments")),
        sa.UniqueConstraint("complaint_id", "sha256", name="uq_complaint_attachments_content"),
    )
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_attachments_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        _complaint_id(),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        _at("requested_at"),
        sa.Column("opinion", sa.Text(), nullable=False),
        _at("answered_at", nullable=True),
        _cascade_from_complaint("complaint_consultations"),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["staff.id"], name=op.f("fk_complaint_consultations_expert_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff.id"],
            name=op.f("fk_complaint_consultations_requested_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_consultations")),
    )
    with op.batch_alter_table("complaint_consultations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_consultations_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_consultations_expert_id"), ["expert_id"], unique=False
        )

    op.create_table(
        "complaint_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _complaint_id(),
        _at("at"),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_complaint_events_actor_id_staff")
        ),
        _cascade_from_complaint("complaint_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_events_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        _complaint_id(),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("complainant_informed", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        _at("requested_at"),
        sa.Column("approver_unit_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _at("decided_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'granted', 'rejected')",
            name=op.f("ck_complaint_extensions_state"),
        ),
        sa.ForeignKeyConstraint(
            ["approver_unit_id"],
            ["units.id"],
            name=op.f("fk_complaint_extensions_approver_unit_id_units"),
        ),
        _cascade_from_complaint("complaint_extensions"),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff.id"],
            name=op.f("fk_complaint_extensions_decided_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff.id"],
            name=op.f("fk_complaint_extensions_requested_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_extensions")),
        sa.UniqueConstraint("complaint_id", "stage", "round", name="uq_complaint_extensions_stage"),
    )
    with op.batch_alter_table("complaint_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_extensions_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_recusals",
        _complaint_id(),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        _cascade_from_complaint("complaint_recusals"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_complaint_recusals_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("complaint_id", "staff_id", name=op.f("pk_complaint_recusals")),
    )
    op.create_table(
        "complaint_supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        _complaint_id(),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=False),
        _at("due_at"),
        _at("created_at"),
        sa.Column("state", sa.String(length=10), nullable=False),
        _at("resolved_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'resolved')", name=op.f("ck_complaint_supervisions_state")
        ),
        _cascade_from_complaint("complaint_supervisions"),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["staff.id"],
            name=op.f("fk_complaint_supervisions_supervisor_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_complaint_supervisions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_supervisions")),
        sa.UniqueConstraint(
            "complaint_id", "round", "level", name="uq_complaint_supervisions_level"
        ),
    )
    with op.batch_alter_table("complaint_supervisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_supervisions_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_supervisions_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_supervisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_supervisions_unit_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_supervisions_complaint_id"))

    op.drop_table("complaint_supervisions")
    op.drop_table("complaint_recusals")
    with op.batch_alter_table("complaint_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_extensions_complaint_id"))

    op.drop_table("complaint_extensions")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_events_complaint_id"))

    op.drop_table("complaint_events")
    with op.batch_alter_table("complaint_consultations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_consultations_expert_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_consultations_complaint_id"))

    op.drop_table("complaint_consultations")
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_attachments_complaint_id"))

    op.drop_table("complaint_attachments")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_unit_state")
        batch_op.drop_index(batch_op.f("ix_complaints_responsible_unit_path"))
        batch_op.drop_index(batch_op.f("ix_complaints_received_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_person_key"))
        batch_op.drop_index(
            "ix_complaints_next_check",
            postgresql_where=sa.text("next_check_at IS NOT NULL"),
            sqlite_where=sa.text("next_check_at IS NOT NULL"),
        )
        batch_op.drop_index("ix_complaints_handler_state")

    op.drop_table("complaints")
    op.drop_table("complaint_experts")
    op.drop_table("complaint_policies")
    op.drop_table("complaint_categories")
