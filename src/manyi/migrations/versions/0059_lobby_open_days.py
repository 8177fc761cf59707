"""The days an outlet opens (lobby settings): its days of the week, ISO digits ("12345":
Monday to Friday, the default, which with holidays closed is the bank's working calendar), and
whether it opens on public holidays too (节假日照常营业). The outlet's self-check follows them.

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-06 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lobby_settings") as batch_op:
        batch_op.add_column(
            sa.Column("open_weekdays", sa.String(7), server_default="12345", nullable=False)
        )
        batch_op.add_column(
            sa.Column("open_on_holidays", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lobby_settings") as batch_op:
        batch_op.drop_column("open_on_holidays")
        batch_op.drop_column("open_weekdays")
