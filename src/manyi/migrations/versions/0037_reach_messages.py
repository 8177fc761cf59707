"""Customer reach's messages (issue 20): contacts, consents, the message outbox, the bank's
templates.

Revision ID: 0037
Revises: 0034
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0037"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATES = ("pending", "sending", "sent", "delivered", "failed", "suppressed", "expired")


def upgrade() -> None:
    op.create_table(
        "reach_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_key", sa.String(64), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=True),
        sa.Column("phone", manyi.db.EncryptedText("reach_contacts.phone"), nullable=False),
        sa.Column("phone_tail", sa.String(4), nullable=False),
        sa.Column("wechat_openid", manyi.db.EncryptedText("reach_contacts.openid"), nullable=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reach_contacts")),
        sa.UniqueConstraint("phone_key", name=op.f("uq_reach_contacts_phone_key")),
    )
    op.create_index("ix_reach_contacts_person_key", "reach_contacts", ["person_key"])
    op.create_table(
        "reach_consents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["reach_contacts.id"],
            name=op.f("fk_reach_consents_contact_id_reach_contacts"),
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["staff.id"], name=op.f("fk_reach_consents_recorded_by_id_staff")
        ),
        sa.Column("at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reach_consents")),
    )
    op.create_index("ix_reach_consents_contact", "reach_consents", ["contact_id", "purpose", "at"])
    op.create_table(
        "reach_messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["reach_contacts.id"],
            name=op.f("fk_reach_messages_contact_id_reach_contacts"),
        ),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_reach_messages_unit_id_units")
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("params", manyi.db.EncryptedJSON("reach_messages.params"), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("gateway", sa.String(32), nullable=True),
        sa.Column("gateway_id", sa.String(64), nullable=True),
        sa.Column("sent_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.String(32), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")",
            name=op.f("ck_reach_messages_state"),
        ),
        sa.CheckConstraint("channel IN ('sms', 'wechat')", name=op.f("ck_reach_messages_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reach_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_reach_messages_dedupe_key")),
    )
    op.create_index(
        "ix_reach_messages_due",
        "reach_messages",
        ["state", "next_attempt_at"],
        sqlite_where=sa.text("state IN ('pending', 'sending')"),
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.create_index("ix_reach_messages_contact", "reach_messages", ["contact_id", "created_at"])
    op.create_index("ix_reach_messages_unit", "reach_messages", ["unit_id", "created_at"])
    op.create_index("ix_reach_messages_gateway", "reach_messages", ["gateway_id"])
    op.create_table(
        "reach_templates",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff.id"], name=op.f("fk_reach_templates_updated_by_id_staff")
        ),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "lang", name=op.f("pk_reach_templates")),
    )


def downgrade() -> None:
    op.drop_table("reach_templates")
    op.drop_table("reach_messages")
    op.drop_table("reach_consents")
    op.drop_table("reach_contacts")
