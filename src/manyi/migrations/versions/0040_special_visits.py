"""Home and hospital visits (特事特办, issue 20): requests and the photos taken on a visit.

Revision ID: 0040
Revises: 0035
Create Date: 2026-12-05 07:01:21.000073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0040"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "special_visits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("complaint_reference", sa.String(length=40), nullable=True),
        sa.Column("details", manyi.db.EncryptedJSON("special_visits.details"), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("need", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("needs_branch", sa.Boolean(), nullable=False),
        sa.Column("outlet_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("outlet_approved_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("branch_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("branch_approved_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("staff_1_id", sa.Integer(), nullable=True),
        sa.Column("staff_2_id", sa.Integer(), nullable=True),
        sa.Column("visit_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("visited_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("visit_place", sa.String(length=200), nullable=False),
        sa.Column("geo", sa.String(length=40), nullable=False),
        sa.Column("bundle_reference", sa.String(length=32), nullable=True),
        sa.Column("closed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "source IN ('phone', 'outlet', 'complaint')", name=op.f("ck_special_visits_source")
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'refused', 'scheduled', 'visited', 'closed', 'cancelled')",
            name=op.f("ck_special_visits_state"),
        ),
        sa.CheckConstraint(
            "staff_1_id IS NULL OR staff_1_id <> staff_2_id",
            name=op.f("ck_special_visits_two_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_approved_by_id"],
            ["staff.id"],
            name=op.f("fk_special_visits_branch_approved_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["reach_contacts.id"],
            name=op.f("fk_special_visits_contact_id_reach_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_approved_by_id"],
            ["staff.id"],
            name=op.f("fk_special_visits_outlet_approved_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_special_visits_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["staff.id"], name=op.f("fk_special_visits_requested_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["staff_1_id"], ["staff.id"], name=op.f("fk_special_visits_staff_1_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["staff_2_id"], ["staff.id"], name=op.f("fk_special_visits_staff_2_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_visits")),
        sa.UniqueConstraint("bundle_reference", name=op.f("uq_special_visits_bundle_reference")),
        sa.UniqueConstraint("reference", name=op.f("uq_special_visits_reference")),
    )
    with op.batch_alter_table("special_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_visits_outlet_path"), ["outlet_path"], unique=False
        )
        batch_op.create_index(
            "ix_special_visits_outlet_requested", ["outlet_id", "requested_at"], unique=False
        )

    op.create_table(
        "special_visit_photos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("visit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["taken_by_id"], ["staff.id"], name=op.f("fk_special_visit_photos_taken_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["special_visits.id"],
            name=op.f("fk_special_visit_photos_visit_id_special_visits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_visit_photos")),
    )
    with op.batch_alter_table("special_visit_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_visit_photos_visit_id"), ["visit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("special_visit_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_special_visit_photos_visit_id"))
    op.drop_table("special_visit_photos")
    with op.batch_alter_table("special_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_special_visits_outlet_requested")
        batch_op.drop_index(batch_op.f("ix_special_visits_outlet_path"))
    op.drop_table("special_visits")
