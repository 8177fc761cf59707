"""The cockpit's roll-ups (issue 21): outlet × local day × hour × service × class, outlet ×
local day, their state (zone, target, watermarks) and dirty outlet-days.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKETS = 21  # manyi.cockpit.domain.histogram.BUCKETS when written


def _sums() -> list[sa.Column]:  # type: ignore[type-arg]
    counts = ["issued", "served", "no_shows", "cancellations", "transfers"]
    columns = [sa.Column(name, sa.Integer(), nullable=False) for name in counts]
    columns += [
        sa.Column("wait_sum_s", sa.BigInteger(), nullable=False),
        sa.Column("wait_n", sa.Integer(), nullable=False),
        sa.Column("wait_within", sa.Integer(), nullable=False),
        sa.Column("service_sum_s", sa.BigInteger(), nullable=False),
        sa.Column("service_n", sa.Integer(), nullable=False),
    ]
    columns += [sa.Column(f"w{i:02d}", sa.Integer(), nullable=False) for i in range(BUCKETS)]
    return columns


def upgrade() -> None:
    op.create_table(
        "cockpit_hourly",
        *_sums(),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("klass", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint(
            "outlet_id", "day", "hour", "service_code", "klass", name=op.f("pk_cockpit_hourly")
        ),
    )
    op.create_index("ix_cockpit_hourly_day", "cockpit_hourly", ["day"])
    floats = ["wait_mean_s", "wait_p90_s", "service_level", "abandonment", "service_mean_s"]
    optional = [
        "appointments_booked", "appointments_kept", "bundles_finished", "bundle_transactions",
        "forms_saved", "fields_saved", "pins_saved", "authorisations_saved",
        "ratings_n", "ratings_sum", "ratings_top", "survey_n", "survey_sum", "survey_top",
    ]  # fmt: skip
    op.create_table(
        "cockpit_daily",
        *_sums(),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("tier1_id", sa.Integer(), nullable=True),
        sa.Column("tier2_id", sa.Integer(), nullable=True),
        *[sa.Column(name, sa.Float(), nullable=True) for name in floats],
        sa.Column("counter_open_s", sa.BigInteger(), nullable=True),
        sa.Column("busy_s", sa.BigInteger(), nullable=True),
        sa.Column("utilisation", sa.Float(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=True) for name in optional],
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("complaint_rate", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("outlet_id", "day", name=op.f("pk_cockpit_daily")),
    )
    op.create_index("ix_cockpit_daily_day_path", "cockpit_daily", ["day", "unit_path"])
    op.create_index("ix_cockpit_daily_path_day", "cockpit_daily", ["unit_path", "day"])
    sources = ["lobby_events", "ratings", "complaints", "surveys", "bundles", "appointments"]
    op.create_table(
        "cockpit_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("target_s", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in sources],
        sa.Column("settled_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cockpit_rollup_state")),
    )
    op.create_table(
        "cockpit_rollup_dirty",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id", "day", name=op.f("pk_cockpit_rollup_dirty")),
    )


def downgrade() -> None:
    op.drop_table("cockpit_rollup_dirty")
    op.drop_table("cockpit_rollup_state")
    op.drop_index("ix_cockpit_daily_path_day", table_name="cockpit_daily")
    op.drop_index("ix_cockpit_daily_day_path", table_name="cockpit_daily")
    op.drop_table("cockpit_daily")
    op.drop_index("ix_cockpit_hourly_day", table_name="cockpit_hourly")
    op.drop_table("cockpit_hourly")
