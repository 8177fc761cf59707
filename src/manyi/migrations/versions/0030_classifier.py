"""The complaint classifier (issue 19, i19-suggest): the model store (versions per target with
their evaluation), the suggestions made on new complaints and their outcomes, and the bank-wide
auto-apply settings.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TARGETS = "target IN ('business', 'cause', 'appeal', 'product', 'issue')"
_OUTCOMES = "outcome IN ('pending', 'accepted', 'corrected', 'auto_applied')"
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    t = "insight_classifier_models"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("training_size", sa.Integer(), nullable=False),
        sa.Column("label_counts", sa.JSON(), nullable=False),
        sa.Column("left_out", sa.JSON(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("trained_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("trained_by", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(_TARGETS, name=op.f(f"ck_{t}_target")),
        sa.ForeignKeyConstraint(
            ["trained_by_id"], ["staff.id"], name=op.f(f"fk_{t}_trained_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("target", "version", name="uq_insight_classifier_models_version"),
    )

    t = "insight_suggestions"
    op.create_table(
        t,
        sa.Column("id", _BigId, nullable=False),
        sa.Column("complaint_id", _BigId, nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("made_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final_value", sa.String(length=300), nullable=True),
        sa.CheckConstraint(_TARGETS, name=op.f(f"ck_{t}_target")),
        sa.CheckConstraint(_OUTCOMES, name=op.f(f"ck_{t}_outcome")),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f(f"fk_{t}_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["insight_classifier_models.id"],
            name=op.f(f"fk_{t}_model_id_insight_classifier_models"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff.id"], name=op.f(f"fk_{t}_decided_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("complaint_id", "target", name="uq_insight_suggestions_target"),
    )
    op.create_index("ix_insight_suggestions_target_outcome", t, ["target", "outcome"])

    t = "insight_auto_apply"
    op.create_table(
        t,
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(_TARGETS, name=op.f(f"ck_{t}_target")),
        sa.CheckConstraint("threshold > 0 AND threshold <= 1", name=op.f(f"ck_{t}_threshold")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f(f"fk_{t}_updated_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("target", name=op.f(f"pk_{t}")),
    )


def downgrade() -> None:
    op.drop_table("insight_auto_apply")
    op.drop_index("ix_insight_suggestions_target_outcome", table_name="insight_suggestions")
    op.drop_table("insight_suggestions")
    op.drop_table("insight_classifier_models")
