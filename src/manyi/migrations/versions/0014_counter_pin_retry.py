"""Counter: a wrong PIN can be typed again (bundle state pin_retry, item status pin_wrong,
the visit's count of wrong PINs).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = (
    "'draft', 'confirmed', 'identity_checked', 'awaiting_authorisation', 'authorised', "
    "'rejected', 'interrupted', {extra}'done', 'partial', 'failed', 'signed', 'archived', "
    "'cancelled'"
)
_STATUSES = "'pending', 'posted', 'failed', 'unknown', 'skipped'{extra}"


def _swap(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(name, condition)


def upgrade() -> None:
    with op.batch_alter_table("counter_bundles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wrong_pins", sa.Integer(), server_default="0", nullable=False)
        )
    states = _STATES.format(extra="'pin_retry', ")
    _swap("counter_bundles", "state", f"state IN ({states})")
    statuses = _STATUSES.format(extra=", 'pin_wrong'")
    _swap("counter_bundle_items", "status", f"status IN ({statuses})")


def downgrade() -> None:
    statuses = _STATUSES.format(extra="")
    _swap("counter_bundle_items", "status", f"status IN ({statuses})")
    states = _STATES.format(extra="")
    _swap("counter_bundles", "state", f"state IN ({states})")
    with op.batch_alter_table("counter_bundles", schema=None) as batch_op:
        batch_op.drop_column("wrong_pins")
