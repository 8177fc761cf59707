"""Financial-literacy outreach (issue 23): each outlet's outreach events, the staff who held
them and their photos as evidence.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05 20:03:05.114869
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EVENTS = "guidance_outreach_events"


def upgrade() -> None:
    op.create_table(
        EVENTS,
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("venue_kind", sa.String(length=16), nullable=False),
        sa.Column("venue", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("materials", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("planned_by_id", sa.Integer(), nullable=False),
        sa.Column("planned_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state <> 'held' OR (participants >= 1 AND held_on IS NOT NULL)",
            name=op.f("ck_guidance_outreach_events_held"),
        ),
        sa.CheckConstraint(
            "state IN ('planned', 'held', 'cancelled')",
            name=op.f("ck_guidance_outreach_events_state"),
        ),
        sa.CheckConstraint(
            "topic IN ('fraud', 'elderly_digital', 'rmb', 'credit', 'deposit_insurance', "
            "'illegal_fundraising', 'personal_info', 'other')",
            name=op.f("ck_guidance_outreach_events_topic"),
        ),
        sa.CheckConstraint(
            "venue_kind IN ('community', 'school', 'care_home', 'market', 'other')",
            name=op.f("ck_guidance_outreach_events_venue_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_guidance_outreach_events_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["planned_by_id"],
            ["staff.id"],
            name=op.f("fk_guidance_outreach_events_planned_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff.id"],
            name=op.f("fk_guidance_outreach_events_recorded_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_outreach_events")),
        sa.UniqueConstraint("reference", name=op.f("uq_guidance_outreach_events_reference")),
    )
    op.create_index("ix_guidance_outreach_events_path_day", EVENTS, ["outlet_path", "event_on"])
    op.create_table(
        "guidance_outreach_photos",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{EVENTS}.id"],
            name=op.f("fk_guidance_outreach_photos_event_id_guidance_outreach_events"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"],
            ["staff.id"],
            name=op.f("fk_guidance_outreach_photos_taken_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_outreach_photos")),
    )
    op.create_index(
        op.f("ix_guidance_outreach_photos_event_id"), "guidance_outreach_photos", ["event_id"]
    )
    op.create_table(
        "guidance_outreach_staff",
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{EVENTS}.id"],
            name=op.f("fk_guidance_outreach_staff_event_id_guidance_outreach_events"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_guidance_outreach_staff_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("event_id", "staff_id", name=op.f("pk_guidance_outreach_staff")),
    )


def downgrade() -> None:
    op.drop_table("guidance_outreach_staff")
    op.drop_index(
        op.f("ix_guidance_outreach_photos_event_id"), table_name="guidance_outreach_photos"
    )
    op.drop_table("guidance_outreach_photos")
    op.drop_index("ix_guidance_outreach_events_path_day", table_name=EVENTS)
    op.drop_table(EVENTS)
