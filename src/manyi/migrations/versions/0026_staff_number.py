"""Staff numbers (工号, issue 18): the number a teller's badge shows; optional, unique when set.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("staff_number", sa.String(length=16), nullable=True))
    # A unique index: several NULLs are allowed on both engines (staff without a number).
    op.create_index(op.f("ix_staff_staff_number"), "staff", ["staff_number"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_staff_number"), table_name="staff")
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop and recreate
    # `staff`, which every table's foreign keys refer to, and SQLite refuses that.
    op.drop_column("staff", "staff_number")
