"""Outlets get an optional position, and appointments a check-in radius (issue 20: check in by
the link "when near the outlet").

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-05 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: a batch copy of `units`, which every table's foreign
    # keys refer to, is refused by SQLite (as in 0038).
    op.add_column("units", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("units", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column(
        "appointment_rules",
        sa.Column("checkin_radius_m", sa.Integer(), server_default="500", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("appointment_rules", "checkin_radius_m")
    op.drop_column("units", "longitude")
    op.drop_column("units", "latitude")
