"""The partial index of the waiting tickets (0056) led with the outlet, so the planner could
take it for the lobby's own reads of one outlet's queue: without statistics (a new database,
or before autovacuum's first ANALYZE) it read a counter's candidates through it, every waiting
ticket of the outlet and a sort, 1.1 ms of the database's CPU a call at 2,500 waiting instead
of 0.1 ms through ix_lobby_tickets_queue. Led by the issue time, it serves what it is for (all
outlets' waiting tickets at each /metrics scrape, read from the index alone) and offers the
planner nothing for one outlet's queue.

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As manyi.lobby.tables.WAITING (a migration keeps its own copy).
WAITING = "state = 'waiting'"


def upgrade() -> None:
    op.drop_index("ix_lobby_tickets_waiting", table_name="lobby_tickets")
    op.create_index(
        "ix_lobby_tickets_waiting",
        "lobby_tickets",
        ["issued_at", "outlet_id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_lobby_tickets_waiting", table_name="lobby_tickets")
    op.create_index(
        "ix_lobby_tickets_waiting",
        "lobby_tickets",
        ["outlet_id", "issued_at"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
