"""The outlet head's daily self-check (issue 23): each outlet's rounds of a local day, planned
with their times, and the answers of a submitted round (with its photos and the rectification
task a failed item opened).

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-05 20:17:33.506122
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROUNDS = "guidance_selfcheck_rounds"


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, manyi.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        ROUNDS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("outlet_path", sa.String(length=400), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("round", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("open_from"),
        _at("due_at"),
        _at("missed_at"),
        _at("day_ends"),
        _at("submitted_at", True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("failed", sa.Integer(), nullable=False),
        _at("alert_at", True),
        _at("alerted_at", True),
        sa.Column("alerted", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "round IN ('opening', 'midday', 'closing')",
            name=op.f("ck_guidance_selfcheck_rounds_round"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_guidance_selfcheck_rounds_outlet_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["staff.id"],
            name=op.f("fk_guidance_selfcheck_rounds_submitted_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_selfcheck_rounds")),
        sa.UniqueConstraint(
            "outlet_id", "local_day", "round", name=op.f("uq_guidance_selfcheck_rounds_outlet_id")
        ),
    )
    op.create_index("ix_guidance_selfcheck_rounds_alert_at", ROUNDS, ["alert_at"])
    op.create_index(
        "ix_guidance_selfcheck_rounds_path_day",
        ROUNDS,
        ["outlet_path", "local_day"],
        postgresql_ops={"outlet_path": "text_pattern_ops"},
    )
    op.create_table(
        "guidance_selfcheck_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            [f"{ROUNDS}.id"],
            name=op.f("fk_guidance_selfcheck_answers_round_id_guidance_selfcheck_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["rectification_tasks.id"],
            name=op.f("fk_guidance_selfcheck_answers_task_id_rectification_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_selfcheck_answers")),
        sa.UniqueConstraint(
            "round_id", "code", name=op.f("uq_guidance_selfcheck_answers_round_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("guidance_selfcheck_answers")
    op.drop_index("ix_guidance_selfcheck_rounds_path_day", table_name=ROUNDS)
    op.drop_index("ix_guidance_selfcheck_rounds_alert_at", table_name=ROUNDS)
    op.drop_table(ROUNDS)
