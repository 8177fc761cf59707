"""Counter catalogue: the reason given for an edit, stored with the version it made.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:24:05.809603
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counter_transaction_types", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("counter_transaction_types", schema=None) as batch_op:
        batch_op.drop_column("reason")
