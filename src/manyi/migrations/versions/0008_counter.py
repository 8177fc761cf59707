"""Paperless counter: catalogue versions, pre-fills, bundles and their items, corrections,
the one authorisation request per bundle, signatures, e-vouchers and measures.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:29:26.932977
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counter_prefills",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("code_prefix", sa.String(length=4), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("form_values", sa.JSON(), nullable=False),
        sa.Column("ticket_token", sa.String(length=32), nullable=True),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('phone', 'kiosk', 'counter')", name=op.f("ck_counter_prefills_channel")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_counter_prefills_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_prefills")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_counter_prefills_code_hash")),
    )
    with op.batch_alter_table("counter_prefills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_prefills_code_prefix"), ["code_prefix"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_prefills_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_prefills_outlet_id"), ["outlet_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_prefills_ticket_token"), ["ticket_token"], unique=False
        )

    op.create_table(
        "counter_transaction_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_counter_transaction_types_version")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff.id"],
            name=op.f("fk_counter_transaction_types_created_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_transaction_types")),
        sa.UniqueConstraint("code", "version", name="uq_counter_transaction_types_code_version"),
    )
    op.create_table(
        "counter_bundles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("teller_id", sa.Integer(), nullable=False),
        sa.Column(
            "prefill_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("form_values", sa.JSON(), nullable=False),
        sa.Column("customer_flags", sa.JSON(), nullable=False),
        sa.Column("identity_required", sa.Boolean(), nullable=False),
        sa.Column("opened_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("called_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id_checked_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pin_entries", sa.Integer(), nullable=False),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'confirmed', 'identity_checked', 'awaiting_authorisation', 'authorised', 'rejected', 'interrupted', 'done', 'partial', 'failed', 'signed', 'archived', 'cancelled')",
            name=op.f("ck_counter_bundles_state"),
        ),
        sa.CheckConstraint("pin_entries >= 0", name=op.f("ck_counter_bundles_pin_entries")),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_counter_bundles_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["prefill_id"],
            ["counter_prefills.id"],
            name=op.f("fk_counter_bundles_prefill_id_counter_prefills"),
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["staff.id"], name=op.f("fk_counter_bundles_teller_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["lobby_tickets.id"],
            name=op.f("fk_counter_bundles_ticket_id_lobby_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_bundles")),
        sa.UniqueConstraint("prefill_id", name=op.f("uq_counter_bundles_prefill_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_counter_bundles_reference")),
    )
    with op.batch_alter_table("counter_bundles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counter_bundles_outlet_opened", ["outlet_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_bundles_outlet_path"), ["outlet_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_bundles_teller_id"), ["teller_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_bundles_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "counter_authorisations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "level IN ('supervisor', 'remote')", name=op.f("ck_counter_authorisations_level")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'claimed', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_counter_authorisations_state"),
        ),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_authorisations_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["staff.id"],
            name=op.f("fk_counter_authorisations_claimed_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff.id"],
            name=op.f("fk_counter_authorisations_decided_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_counter_authorisations_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff.id"],
            name=op.f("fk_counter_authorisations_requested_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_authorisations")),
        sa.UniqueConstraint("bundle_id", name=op.f("uq_counter_authorisations_bundle_id")),
    )
    with op.batch_alter_table("counter_authorisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_authorisations_outlet_id"), ["outlet_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_counter_authorisations_outlet_path"), ["outlet_path"], unique=False
        )
        batch_op.create_index(
            "ix_counter_authorisations_queue", ["level", "state", "requested_at"], unique=False
        )

    op.create_table(
        "counter_bundle_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item_values", sa.JSON(), nullable=False),
        sa.Column("needs_pin", sa.Boolean(), nullable=False),
        sa.Column("payer", sa.String(length=8), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("core_reference", sa.String(length=64), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replayed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'failed', 'unknown', 'skipped')",
            name=op.f("ck_counter_bundle_items_status"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_counter_bundle_items_number")),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_bundle_items_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["code", "version"],
            ["counter_transaction_types.code", "counter_transaction_types.version"],
            name="fk_counter_bundle_items_type",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_bundle_items")),
        sa.UniqueConstraint("bundle_id", "number", name="uq_counter_bundle_items_bundle_number"),
    )
    with op.batch_alter_table("counter_bundle_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_bundle_items_bundle_id"), ["bundle_id"], unique=False
        )

    op.create_table(
        "counter_bundle_measures",
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("fields_separately", sa.Integer(), nullable=False),
        sa.Column("fields_merged", sa.Integer(), nullable=False),
        sa.Column("values_separately", sa.Integer(), nullable=False),
        sa.Column("values_filled", sa.Integer(), nullable=False),
        sa.Column("pin_entries_saved", sa.Integer(), nullable=False),
        sa.Column("authorisations_saved", sa.Integer(), nullable=False),
        sa.Column("identity_checks_saved", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("pin_entries", sa.Integer(), nullable=False),
        sa.Column("authorisations", sa.Integer(), nullable=False),
        sa.Column("called_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_bundle_measures_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_counter_bundle_measures_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_counter_bundle_measures")),
    )
    with op.batch_alter_table("counter_bundle_measures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_counter_bundle_measures_outlet_day", ["outlet_id", "local_day"], unique=False
        )

    op.create_table(
        "counter_corrections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_corrections_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_counter_corrections_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_corrections")),
    )
    with op.batch_alter_table("counter_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_corrections_bundle_id"), ["bundle_id"], unique=False
        )

    op.create_table(
        "counter_signatures",
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("captured_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_signatures_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["captured_by_id"],
            ["staff.id"],
            name=op.f("fk_counter_signatures_captured_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_counter_signatures")),
    )
    op.create_table(
        "counter_vouchers",
        sa.Column(
            "bundle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("issued_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["counter_bundles.id"],
            name=op.f("fk_counter_vouchers_bundle_id_counter_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["staff.id"], name=op.f("fk_counter_vouchers_issued_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_counter_vouchers")),
    )


def downgrade() -> None:
    op.drop_table("counter_vouchers")
    op.drop_table("counter_signatures")
    with op.batch_alter_table("counter_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_corrections_bundle_id"))

    op.drop_table("counter_corrections")
    with op.batch_alter_table("counter_bundle_measures", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_bundle_measures_outlet_day")

    op.drop_table("counter_bundle_measures")
    with op.batch_alter_table("counter_bundle_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_bundle_items_bundle_id"))

    op.drop_table("counter_bundle_items")
    with op.batch_alter_table("counter_authorisations", schema=None) as batch_op:
        batch_op.drop_index("ix_counter_authorisations_queue")
        batch_op.drop_index(batch_op.f("ix_counter_authorisations_outlet_path"))
        batch_op.drop_index(batch_op.f("ix_counter_authorisations_outlet_id"))

    op.drop_table("counter_authorisations")
    with op.batch_alter_table("counter_bundles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_bundles_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_counter_bundles_teller_id"))
        batch_op.drop_index(batch_op.f("ix_counter_bundles_outlet_path"))
        batch_op.drop_index("ix_counter_bundles_outlet_opened")

    op.drop_table("counter_bundles")
    op.drop_table("counter_transaction_types")
    with op.batch_alter_table("counter_prefills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_prefills_ticket_token"))
        batch_op.drop_index(batch_op.f("ix_counter_prefills_outlet_id"))
        batch_op.drop_index(batch_op.f("ix_counter_prefills_expires_at"))
        batch_op.drop_index(batch_op.f("ix_counter_prefills_code_prefix"))

    op.drop_table("counter_prefills")
