"""Inspection plans (issue 18): scheduled plans and spot-check draws, mystery-shopping scenarios
and assignments (single-use shopper links), remote spot checks.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = manyi.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{other}"))


def upgrade() -> None:
    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("visits_per_outlet", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=40), nullable=True),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("draw", sa.JSON(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('scheduled', 'spot')", name=op.f("ck_inspection_plans_kind")),
        _fk("inspection_plans", "unit_id", "units.id"),
        _fk("inspection_plans", "created_by_id", "staff.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
    )
    op.create_index(
        "ix_inspection_plans_scope", "inspection_plans", ["unit_path", "starts_on"], unique=False
    )
    op.create_table(
        "mystery_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("mystery_scenarios", "created_by_id", "staff.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mystery_scenarios")),
        sa.UniqueConstraint("code", name=op.f("uq_mystery_scenarios_code")),
    )
    op.create_table(
        "mystery_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token", manyi.db.EncryptedText("mystery_assignments.token"), nullable=False),
        sa.Column("shopper_label", sa.String(length=60), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("mystery_assignments", "scenario_id", "mystery_scenarios.id"),
        _fk("mystery_assignments", "visit_id", "inspection_visits.id"),
        _fk("mystery_assignments", "outlet_id", "units.id"),
        _fk("mystery_assignments", "created_by_id", "staff.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mystery_assignments")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mystery_assignments_token_hash")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_mystery_assignments_visit_id")),
    )
    op.create_index(
        "ix_mystery_assignments_scope",
        "mystery_assignments",
        ["unit_path", "created_at"],
        unique=False,
    )
    op.create_table(
        "remote_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seed", sa.String(length=40), nullable=False),
        sa.Column("window_start", WHEN, nullable=False),
        sa.Column("window_end", WHEN, nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("remote_checks", "visit_id", "inspection_visits.id"),
        _fk("remote_checks", "outlet_id", "units.id"),
        _fk("remote_checks", "created_by_id", "staff.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_checks")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_remote_checks_visit_id")),
    )
    op.create_index("ix_remote_checks_scope", "remote_checks", ["unit_path", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_remote_checks_scope", table_name="remote_checks")
    op.drop_table("remote_checks")
    op.drop_index("ix_mystery_assignments_scope", table_name="mystery_assignments")
    op.drop_table("mystery_assignments")
    op.drop_table("mystery_scenarios")
    op.drop_index("ix_inspection_plans_scope", table_name="inspection_plans")
    op.drop_table("inspection_plans")
