"""Holidays the bank enters itself (issue 19): a year's holidays and make-up workdays from the
State Council's notice, who entered them and when, and the calendar's version that tells every
process its cached calendar is stale.

Revision ID: 0029
Revises: 0033
Create Date: 2026-12-05 02:32:33.208887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0029"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workday_calendar_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_workday_calendar_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workday_calendar_version")),
    )
    op.create_table(
        "workday_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_name", sa.String(length=120), nullable=False),
        sa.Column("entered_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["staff.id"], name=op.f("fk_workday_years_entered_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_workday_years")),
    )
    op.create_table(
        "workday_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_workday_days_kind")),
        sa.ForeignKeyConstraint(
            ["year"],
            ["workday_years.year"],
            name=op.f("fk_workday_days_year_workday_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_workday_days")),
    )
    op.create_index(op.f("ix_workday_days_year"), "workday_days", ["year"])
    # The one version row exists from the start, so concurrent first saves serialise on its
    # UPDATE instead of racing to insert it. An empty token: nothing entered yet.
    op.execute(
        "INSERT INTO workday_calendar_version (id, revision, token, changed_at)"
        " VALUES (1, 0, '', CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_workday_days_year"), table_name="workday_days")
    op.drop_table("workday_days")
    op.drop_table("workday_years")
    op.drop_table("workday_calendar_version")
