"""Appointments (issue 20): bookings with the mobile sealed, verification codes, places taken
per slot (the filtered UPDATE that keeps the last place single) and the rules of each outlet.

Revision ID: 0035
Revises: 0039
Create Date: 2026-12-05 06:31:45.165266
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0035"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_codes")),
    )
    with op.batch_alter_table("appointment_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_codes_customer_key"), ["customer_key"], unique=False
        )

    op.create_table(
        "appointment_slot_counts",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("slot_start", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_appointment_slot_counts_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "outlet_id", "service_code", "slot_start", name=op.f("pk_appointment_slot_counts")
        ),
    )
    op.create_table(
        "appointment_rules",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("walk_in_share", sa.Float(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("early_minutes", sa.Integer(), nullable=False),
        sa.Column("late_grace_minutes", sa.Integer(), nullable=False),
        sa.Column("no_show_limit", sa.Integer(), nullable=False),
        sa.Column("no_show_window_days", sa.Integer(), nullable=False),
        sa.Column("block_days", sa.Integer(), nullable=False),
        sa.Column("book_from", sa.Time(), nullable=False),
        sa.Column("book_until", sa.Time(), nullable=False),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["staff.id"], name=op.f("fk_appointment_rules_changed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_appointment_rules_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_appointment_rules")),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("slot_start", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slot_end", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("active_key", sa.String(length=80), nullable=True),
        sa.Column("checkin_code", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("link_token", manyi.db.EncryptedText("appointments.link_token"), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ticket_number", sa.String(length=16), nullable=True),
        sa.Column("ticket_token", sa.String(length=64), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("reminded_day_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_hour_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('booked', 'cancelled', 'checked_in', 'no_show')",
            name=op.f("ck_appointments_state"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_appointments_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["lobby_tickets.id"],
            name=op.f("fk_appointments_ticket_id_lobby_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("active_key", name=op.f("uq_appointments_active_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_appointments_token_hash")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_customer_key"), ["customer_key"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_outlet_slot", ["outlet_id", "slot_start"], unique=False
        )
        batch_op.create_index("ix_appointments_state_slot", ["state", "slot_start"], unique=False)
        batch_op.create_index(
            "ux_appointments_checkin", ["outlet_id", "local_day", "checkin_code"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ux_appointments_checkin")
        batch_op.drop_index("ix_appointments_state_slot")
        batch_op.drop_index("ix_appointments_outlet_slot")
        batch_op.drop_index(batch_op.f("ix_appointments_customer_key"))

    op.drop_table("appointments")
    op.drop_table("appointment_rules")
    op.drop_table("appointment_slot_counts")
    with op.batch_alter_table("appointment_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_codes_customer_key"))

    op.drop_table("appointment_codes")
