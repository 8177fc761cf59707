"""The board's voices (issue 20, elderly-friendly mode): per outlet, English after Mandarin, a
dialect voice, the speech rate and how long a call stays the board's big call.

Revision ID: 0036
Revises: 0038
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lobby_settings") as batch_op:
        batch_op.add_column(
            sa.Column("announce_en", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("announce_dialect", sa.String(24), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("speech_rate_pct", sa.Integer(), server_default="90", nullable=False)
        )
        batch_op.add_column(
            sa.Column("call_hold_s", sa.Integer(), server_default="10", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lobby_settings") as batch_op:
        batch_op.drop_column("call_hold_s")
        batch_op.drop_column("speech_rate_pct")
        batch_op.drop_column("announce_dialect")
        batch_op.drop_column("announce_en")
