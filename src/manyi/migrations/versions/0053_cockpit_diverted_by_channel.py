"""The cockpit's daily rows gain lobby guidance's diversions by channel (self-service machines,
mobile and online banking, another outlet, an appointment); every outlet-day with encounters is
marked dirty, so the worker's next pass fills them in.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-05 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0053"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "diverted_self_service",
    "diverted_mobile",
    "diverted_online",
    "diverted_other_outlet",
    "diverted_appointment",
)


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("cockpit_daily", sa.Column(name, sa.Integer(), nullable=True))
        op.add_column("cockpit_unit_daily", sa.Column(name, sa.BigInteger(), nullable=True))
    op.execute(
        "INSERT INTO cockpit_rollup_dirty (outlet_id, day) "
        "SELECT DISTINCT e.outlet_id, e.local_day FROM guidance_encounters e "
        "WHERE NOT EXISTS (SELECT 1 FROM cockpit_rollup_dirty d "
        "WHERE d.outlet_id = e.outlet_id AND d.day = e.local_day)"
    )


def downgrade() -> None:
    for table in ("cockpit_unit_daily", "cockpit_daily"):
        with op.batch_alter_table(table) as batch_op:
            for name in reversed(COLUMNS):
                batch_op.drop_column(name)
