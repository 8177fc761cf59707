"""Service stars (issue 18, 服务明星 / 挂牌上岗): star programmes as data and nominations through
their two approval steps (branch, head office).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'nominated', 'branch_approved', 'awarded', 'rejected'"


def _staff_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["staff.id"], name=op.f(f"fk_{table}_{column}_staff"))


def upgrade() -> None:
    op.create_table(
        "star_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period IN ('quarter', 'year')", name=op.f("ck_star_programmes_period")),
        _staff_fk("star_programmes", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_star_programmes_code")),
    )
    op.create_index(
        "ix_star_programmes_period", "star_programmes", ["starts_on", "ends_on"], unique=False
    )
    op.create_table(
        "star_nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level_code", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("praise", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("nominated_by_id", sa.Integer(), nullable=False),
        sa.Column("nominated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("branch_by_id", sa.Integer(), nullable=True),
        sa.Column("branch_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("awarded_by_id", sa.Integer(), nullable=True),
        sa.Column("awarded_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("rejected_by_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_step", sa.String(length=8), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_star_nominations_state")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["star_programmes.id"],
            name=op.f("fk_star_nominations_programme_id_star_programmes"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_star_nominations_outlet_id_units")
        ),
        _staff_fk("star_nominations", "staff_id"),
        _staff_fk("star_nominations", "nominated_by_id"),
        _staff_fk("star_nominations", "branch_by_id"),
        _staff_fk("star_nominations", "awarded_by_id"),
        _staff_fk("star_nominations", "rejected_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_nominations")),
        sa.UniqueConstraint("programme_id", "staff_id", name="uq_star_nominations_staff"),
    )
    op.create_index(
        "ix_star_nominations_path_state",
        "star_nominations",
        ["unit_path", "state"],
        unique=False,
        postgresql_ops={"unit_path": "text_pattern_ops"},
    )
    op.create_index(
        "ix_star_nominations_programme_branch",
        "star_nominations",
        ["programme_id", "branch_code", "state"],
        unique=False,
    )
    op.create_index(
        "ix_star_nominations_staff_state", "star_nominations", ["staff_id", "state"], unique=False
    )


def downgrade() -> None:
    op.drop_table("star_nominations")
    op.drop_table("star_programmes")
