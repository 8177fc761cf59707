"""The cockpit's roll-ups above the outlet (issue 21, national scale): each branch's and the
bank's day (`cockpit_unit_daily`), each outlet's sums over the default window
(`cockpit_outlet_window`) and its last days with customers (`cockpit_outlet_recent`), filled
by `manyi cockpit rollup --from … --to …` over the history; and the days imported from a
previous queue system (`cockpit_imported_daily`).

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-05 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKETS = 21  # manyi.cockpit.domain.histogram.BUCKETS when written
OPTIONAL = (
    "counter_open_s", "busy_s", "appointments_booked", "appointments_kept", "bundles_finished",
    "bundle_transactions", "forms_saved", "fields_saved", "pins_saved", "authorisations_saved",
    "ratings_n", "ratings_sum", "ratings_top", "survey_n", "survey_sum", "survey_top",
)  # fmt: skip


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


def _judged(kind: type[sa.types.TypeEngine]) -> list[sa.Column]:  # type: ignore[type-arg]
    names = ("wait_n", "wait_within", "issued", "abandoned")
    return [sa.Column("wait_sum_s", sa.BigInteger(), nullable=False)] + [
        sa.Column(name, kind(), nullable=False) for name in names
    ]


def upgrade() -> None:
    op.create_table(
        "cockpit_unit_daily",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outlet_days", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        *_sums(),
        *[sa.Column(name, sa.BigInteger(), nullable=True) for name in OPTIONAL],
        sa.PrimaryKeyConstraint("unit_id", "day", name=op.f("pk_cockpit_unit_daily")),
    )
    op.create_table(
        "cockpit_outlet_window",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        *_judged(sa.BigInteger),
        sa.PrimaryKeyConstraint("outlet_id", "unit_path", name=op.f("pk_cockpit_outlet_window")),
    )
    op.create_index("ix_cockpit_outlet_window_path", "cockpit_outlet_window", ["unit_path"])
    op.create_table(
        "cockpit_outlet_recent",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        *_judged(sa.Integer),
        sa.PrimaryKeyConstraint("outlet_id", "rank", name=op.f("pk_cockpit_outlet_recent")),
    )
    op.create_index("ix_cockpit_outlet_recent_path", "cockpit_outlet_recent", ["unit_path", "rank"])

    op.create_table(
        "cockpit_imported_daily",
        *_sums(),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id", "day", name=op.f("pk_cockpit_imported_daily")),
    )


def downgrade() -> None:
    op.drop_table("cockpit_imported_daily")
    op.drop_index("ix_cockpit_outlet_recent_path", table_name="cockpit_outlet_recent")
    op.drop_table("cockpit_outlet_recent")
    op.drop_index("ix_cockpit_outlet_window_path", table_name="cockpit_outlet_window")
    op.drop_table("cockpit_outlet_window")
    op.drop_table("cockpit_unit_daily")
