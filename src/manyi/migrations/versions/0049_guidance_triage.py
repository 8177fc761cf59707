"""Lobby guidance (issue 23): each outlet's self-service machines and the lobby manager's
encounters at the door; the cockpit's daily rows gain the customers met, diverted, taught and
the waits avoided, and its roll-up state a watermark of encounters.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-05 19:58:27.460214
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COCKPIT = (("guided", sa.Integer), ("diverted", sa.Integer), ("taught", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "guidance_machines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('smart_teller', 'cash', 'passbook', 'terminal')",
            name=op.f("ck_guidance_machines_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_guidance_machines_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_machines")),
        sa.UniqueConstraint("outlet_id", "label", name=op.f("uq_guidance_machines_outlet_id")),
    )
    op.create_table(
        "guidance_encounters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=40), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("klass", sa.String(length=16), nullable=True),
        sa.Column("machine_id", sa.Integer(), nullable=True),
        sa.Column("function_zh", sa.String(length=80), nullable=False),
        sa.Column("function_en", sa.String(length=120), nullable=False),
        sa.Column("target_outlet_id", sa.Integer(), nullable=True),
        sa.Column("taught", sa.Boolean(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=True),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("predicted_wait_s", sa.Integer(), nullable=True),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('ticket', 'prefill', 'self_service', 'mobile', 'online', 'other_outlet', 'appointment', 'answered')",
            name=op.f("ck_guidance_encounters_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["machine_id"],
            ["guidance_machines.id"],
            name=op.f("fk_guidance_encounters_machine_id_guidance_machines"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_guidance_encounters_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_guidance_encounters_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["target_outlet_id"],
            ["units.id"],
            name=op.f("fk_guidance_encounters_target_outlet_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["lobby_tickets.id"],
            name=op.f("fk_guidance_encounters_ticket_id_lobby_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_encounters")),
    )
    op.create_index(
        "ix_guidance_encounters_outlet_day", "guidance_encounters", ["outlet_id", "local_day"]
    )
    op.create_index(
        "ix_guidance_encounters_path_day", "guidance_encounters", ["outlet_path", "local_day"]
    )
    for name, kind in COCKPIT:
        op.add_column("cockpit_daily", sa.Column(name, kind(), nullable=True))
        op.add_column("cockpit_unit_daily", sa.Column(name, sa.BigInteger(), nullable=True))
    for table in ("cockpit_daily", "cockpit_unit_daily"):
        op.add_column(table, sa.Column("wait_avoided_s", sa.BigInteger(), nullable=True))
    # The roll-ups' watermark of encounters (existing days are settled ones: nothing to redo).
    op.add_column(
        "cockpit_rollup_state",
        sa.Column("guidance", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("cockpit_rollup_state") as batch_op:
        batch_op.drop_column("guidance")
    for table in ("cockpit_unit_daily", "cockpit_daily"):
        with op.batch_alter_table(table) as batch_op:
            for name in ("wait_avoided_s", "taught", "diverted", "guided"):
                batch_op.drop_column(name)
    op.drop_index("ix_guidance_encounters_path_day", table_name="guidance_encounters")
    op.drop_index("ix_guidance_encounters_outlet_day", table_name="guidance_encounters")
    op.drop_table("guidance_encounters")
    op.drop_table("guidance_machines")
