"""Staff get a mobile number for paging by SMS (issue 20), sealed at rest.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import manyi.db

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "staff", sa.Column("mobile", manyi.db.EncryptedText("staff.mobile"), nullable=True)
    )


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop and recreate
    # `staff`, which every table's foreign keys refer to, and SQLite refuses that.
    op.drop_column("staff", "mobile")
