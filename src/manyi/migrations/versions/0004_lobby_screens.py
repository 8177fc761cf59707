"""Lobby screens: rating prompts and answers, lobby alerts; the rating window and
the green-channel confirmation per outlet.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:49:11.852675
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lobby_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("raised_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("acknowledged_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["staff.id"],
            name=op.f("fk_lobby_alerts_acknowledged_by_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_alerts_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lobby_alerts")),
    )
    with op.batch_alter_table("lobby_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lobby_alerts_open", ["outlet_id", "acknowledged_at"], unique=False
        )

    op.create_table(
        "lobby_rating_prompts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("counter_number", sa.Integer(), nullable=False),
        sa.Column("teller_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("prompted_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("times_shown", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["lobby_counters.id"],
            name=op.f("fk_lobby_rating_prompts_counter_id_lobby_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_rating_prompts_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["staff.id"], name=op.f("fk_lobby_rating_prompts_teller_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["lobby_tickets.id"],
            name=op.f("fk_lobby_rating_prompts_ticket_id_lobby_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lobby_rating_prompts")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_lobby_rating_prompts_ticket_id")),
    )
    with op.batch_alter_table("lobby_rating_prompts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lobby_rating_prompts_counter", ["outlet_id", "counter_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lobby_rating_prompts_prompted_at"), ["prompted_at"], unique=False
        )

    op.create_table(
        "lobby_ratings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "prompt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("teller_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("answered_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "score IN ('very_satisfied', 'satisfied', 'neutral', 'dissatisfied')",
            name=op.f("ck_lobby_ratings_score"),
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["lobby_counters.id"],
            name=op.f("fk_lobby_ratings_counter_id_lobby_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device_tokens.id"],
            name=op.f("fk_lobby_ratings_device_id_device_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_ratings_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["lobby_rating_prompts.id"],
            name=op.f("fk_lobby_ratings_prompt_id_lobby_rating_prompts"),
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["staff.id"], name=op.f("fk_lobby_ratings_teller_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["lobby_tickets.id"],
            name=op.f("fk_lobby_ratings_ticket_id_lobby_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lobby_ratings")),
        sa.UniqueConstraint("prompt_id", name=op.f("uq_lobby_ratings_prompt_id")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_lobby_ratings_ticket_id")),
    )
    with op.batch_alter_table("lobby_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lobby_ratings_answered_at"), ["answered_at"], unique=False
        )

    with op.batch_alter_table("lobby_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rating_window_s", sa.Integer(), server_default="30", nullable=False)
        )
        batch_op.add_column(
            sa.Column("green_confirm", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lobby_settings", schema=None) as batch_op:
        batch_op.drop_column("green_confirm")
        batch_op.drop_column("rating_window_s")

    with op.batch_alter_table("lobby_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lobby_ratings_answered_at"))

    op.drop_table("lobby_ratings")
    with op.batch_alter_table("lobby_rating_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lobby_rating_prompts_prompted_at"))
        batch_op.drop_index("ix_lobby_rating_prompts_counter")

    op.drop_table("lobby_rating_prompts")
    with op.batch_alter_table("lobby_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_lobby_alerts_open")

    op.drop_table("lobby_alerts")
