"""The customer's voice beyond complaints (issue 19): praise (表扬) registered against a staff
member and their outlet (`complaint_praise`, counted by the service stars) and opinions and
suggestions (意见建议, `insight_opinions`), classified like complaints, outside the clock.

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0033"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _staff_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["staff.id"], name=op.f(f"fk_{table}_{column}_staff"))


def upgrade() -> None:
    op.create_table(
        "complaint_praise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('phone', 'letter', 'online', 'in_person')",
            name=op.f("ck_complaint_praise_channel"),
        ),
        _staff_fk("complaint_praise", "staff_id"),
        _staff_fk("complaint_praise", "registered_by_id"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_complaint_praise_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_praise")),
    )
    op.create_index(
        "ix_complaint_praise_staff_received",
        "complaint_praise",
        ["staff_id", "received_on"],
        unique=False,
    )
    op.create_index(
        "ix_complaint_praise_path_received",
        "complaint_praise",
        ["unit_path", "received_on"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )
    op.create_table(
        "insight_opinions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("received_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("business_code", sa.String(length=64), nullable=True),
        sa.Column("cause_code", sa.String(length=64), nullable=True),
        sa.Column("appeal_code", sa.String(length=64), nullable=True),
        sa.Column("issue_code", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "source_kind IN ('forum', 'online_media', 'letter', 'phone', 'in_person', 'other')",
            name=op.f("ck_insight_opinions_source_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('new', 'reviewed', 'adopted', 'not_adopted')",
            name=op.f("ck_insight_opinions_state"),
        ),
        _staff_fk("insight_opinions", "registered_by_id"),
        _staff_fk("insight_opinions", "reviewed_by_id"),
        _staff_fk("insight_opinions", "decided_by_id"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_insight_opinions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_opinions")),
    )
    op.create_index(
        "ix_insight_opinions_path_received",
        "insight_opinions",
        ["unit_path", "received_at"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_insight_opinions_path_received", table_name="insight_opinions")
    op.drop_table("insight_opinions")
    op.drop_index("ix_complaint_praise_path_received", table_name="complaint_praise")
    op.drop_index("ix_complaint_praise_staff_received", table_name="complaint_praise")
    op.drop_table("complaint_praise")
