"""Each outlet's wait predictor: the best on its recent history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:11:45.811674
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lobby_predictor_choice",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("predictor", sa.String(length=24), nullable=False),
        sa.Column("mae_s", sa.Float(), nullable=True),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["units.id"], name=op.f("fk_lobby_predictor_choice_outlet_id_units")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_lobby_predictor_choice")),
    )


def downgrade() -> None:
    op.drop_table("lobby_predictor_choice")
