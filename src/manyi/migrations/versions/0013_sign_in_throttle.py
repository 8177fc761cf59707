"""Sign-in: failed attempts counted per address at an account and per address, with back-off.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", manyi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", manyi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
