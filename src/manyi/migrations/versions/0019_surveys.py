"""Surveys (issue 17): versioned definitions, sampling rules, invitations, scan positions.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "survey_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_survey_definitions_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_definitions")),
        sa.UniqueConstraint("trigger", "version", name="uq_survey_definitions_trigger_version"),
    )
    op.create_table(
        "survey_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("rate_percent", sa.Integer(), nullable=False),
        sa.Column("quiet_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "rate_percent BETWEEN 0 AND 100", name=op.f("ck_survey_rules_rate_percent")
        ),
        sa.CheckConstraint("quiet_days BETWEEN 0 AND 365", name=op.f("ck_survey_rules_quiet_days")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_survey_rules_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_rules")),
        sa.UniqueConstraint("trigger", "unit_id", name="uq_survey_rules_trigger_unit"),
    )
    op.create_table(
        "survey_invitations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token", manyi.db.EncryptedText("survey_invitations.token"), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("visit_key", sa.String(length=64), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("teller_staff_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=32), nullable=True),
        sa.Column("customer_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["survey_definitions.id"],
            name=op.f("fk_survey_invitations_definition_id_survey_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_survey_invitations_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["teller_staff_id"],
            ["staff.id"],
            name=op.f("fk_survey_invitations_teller_staff_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_invitations_token_hash")),
        sa.UniqueConstraint("visit_key", name="uq_survey_invitations_visit_key"),
    )
    op.create_index(
        "ix_survey_invitations_customer",
        "survey_invitations",
        ["customer_key", "created_at"],
        unique=False,
    )
    op.create_table(
        "survey_scan_positions",
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scanned_to", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trigger", name=op.f("pk_survey_scan_positions")),
    )


def downgrade() -> None:
    op.drop_table("survey_scan_positions")
    op.drop_index("ix_survey_invitations_customer", table_name="survey_invitations")
    op.drop_table("survey_invitations")
    op.drop_table("survey_rules")
    op.drop_table("survey_definitions")
