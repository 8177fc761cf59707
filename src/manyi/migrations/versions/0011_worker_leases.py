"""Worker: leases, so that one worker at a time runs a job registered with a lease.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_leases",
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("until", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_worker_leases")),
    )


def downgrade() -> None:
    op.drop_table("worker_leases")
