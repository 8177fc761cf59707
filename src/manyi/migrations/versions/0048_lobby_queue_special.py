"""Call-next reads the front of each service's plain line and the few tickets outside those
lines (priority classes, tickets sent to one counter) instead of ranking the whole queue, which
cost about 1 ms of the database's CPU a call with 1,500 waiting (issue 22). The queue index
gains `id`, so that a line is read in calling order (queued_at, id) and stops at its front; a
partial index holds the tickets outside the lines.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-05 18:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As manyi.lobby.tables.QUEUE_SPECIAL (a migration keeps its own copy of what it creates).
SPECIAL = "state = 'waiting' AND (klass <> 'normal' OR target_counter_id IS NOT NULL)"


def upgrade() -> None:
    op.drop_index("ix_lobby_tickets_queue", table_name="lobby_tickets")
    op.create_index(
        "ix_lobby_tickets_queue",
        "lobby_tickets",
        ["outlet_id", "state", "service_code", "queued_at", "id"],
    )
    op.create_index(
        "ix_lobby_tickets_queue_special",
        "lobby_tickets",
        ["outlet_id", "service_code", "queued_at"],
        postgresql_where=sa.text(SPECIAL),
        sqlite_where=sa.text(SPECIAL),
    )


def downgrade() -> None:
    op.drop_index("ix_lobby_tickets_queue_special", table_name="lobby_tickets")
    op.drop_index("ix_lobby_tickets_queue", table_name="lobby_tickets")
    op.create_index(
        "ix_lobby_tickets_queue",
        "lobby_tickets",
        ["outlet_id", "state", "service_code", "queued_at"],
    )
