"""Each outlet's monthly sums that targets judge (`cockpit_outlet_monthly`, issue 21): the
outlets furthest from target over a period other than the default window add up whole months
instead of every outlet's days. Filled here from the `cockpit_daily` rows already there; the
roll-up pass keeps it from then on.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-05 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = """
INSERT INTO cockpit_outlet_monthly (outlet_id, month, unit_path, wait_sum_s, wait_n, wait_within,
  issued, abandoned)
SELECT outlet_id, {month}, unit_path, sum(wait_sum_s), sum(wait_n), sum(wait_within), sum(issued),
  sum(no_shows + cancellations)
FROM cockpit_daily GROUP BY outlet_id, {month}, unit_path
"""


def upgrade() -> None:
    op.create_table(
        "cockpit_outlet_monthly",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("wait_sum_s", sa.BigInteger(), nullable=False),
        *[
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("wait_n", "wait_within", "issued", "abandoned")
        ],
        sa.PrimaryKeyConstraint(
            "outlet_id", "month", "unit_path", name=op.f("pk_cockpit_outlet_monthly")
        ),
    )
    op.create_index(
        "ix_cockpit_outlet_monthly_month_path", "cockpit_outlet_monthly", ["month", "unit_path"]
    )
    # The months of the days rolled up so far (the same sums as `summaries.refresh_months`).
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "date_trunc('month', day)::date" if postgres else "date(day, 'start of month')"
    op.execute(FILL.replace("{month}", month))


def downgrade() -> None:
    op.drop_index("ix_cockpit_outlet_monthly_month_path", table_name="cockpit_outlet_monthly")
    op.drop_table("cockpit_outlet_monthly")
