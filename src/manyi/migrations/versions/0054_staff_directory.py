"""Staff accounts kept by the bank's directory (issue 24, LDAP / Active Directory sign-in): the
entry's DN, and when manyi found the entry gone or switched off.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-05 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: a batch copy of `staff`, which many tables' foreign
    # keys refer to, is avoided (as for `units` in 0041).
    op.add_column("staff", sa.Column("directory_dn", sa.String(length=500), nullable=True))
    op.add_column(
        "staff",
        sa.Column("directory_removed_at", manyi.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("staff", "directory_removed_at")
    op.drop_column("staff", "directory_dn")
