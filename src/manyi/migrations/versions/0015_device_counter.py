"""Devices: a rating pad or calling pad is bound to one counter of its outlet.

Tokens issued before have no counter: they keep pairing and showing screens, but a pad without
one may answer and act on no counter until it is issued again, bound (the admin page says so).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("device_tokens", sa.Column("counter_number", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_tokens") as batch_op:
        batch_op.drop_column("counter_number")
