"""Lobby: the local time at which each outlet's business day starts (numbers, daily figures).

Existing outlets keep 00:00, the calendar day they numbered by until now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lobby_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("day_starts_at", sa.String(length=5), server_default="00:00", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lobby_settings", schema=None) as batch_op:
        batch_op.drop_column("day_starts_at")
