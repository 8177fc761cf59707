"""Audit events carry the id of the web request that made them (`X-Request-ID`, the id in the
JSON logs), sealed with the rest of the row when there is one. Rows already there keep "" and
the text they were sealed with.

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-05 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0055"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy, which would drop the append-only triggers): neither
    # engine rewrites the rows, so the triggers that refuse UPDATE are not set off.
    op.add_column(
        "audit_events",
        sa.Column("request_id", sa.String(length=64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("audit_events", "request_id")
