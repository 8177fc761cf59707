"""/metrics' gauges read, across every outlet, the first legs first called in the last hour
(`manyi_lobby_service_level_ratio`) and the customers waiting now with the longest wait
(`manyi_lobby_customers_waiting`, `manyi_lobby_longest_wait_seconds`). No index served either
without an outlet, so each scrape read the whole ticket table. Two partial indexes: the first
legs that were called, by the time of the first call; the tickets waiting, by outlet and issue.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-06 01:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As manyi.lobby.tables.FIRST_CALLED and WAITING (a migration keeps its own copy of them).
FIRST_CALLED = "previous_id IS NULL AND first_called_at IS NOT NULL"
WAITING = "state = 'waiting'"


def upgrade() -> None:
    op.create_index(
        "ix_lobby_tickets_first_called",
        "lobby_tickets",
        ["first_called_at"],
        postgresql_where=sa.text(FIRST_CALLED),
        sqlite_where=sa.text(FIRST_CALLED),
    )
    op.create_index(
        "ix_lobby_tickets_waiting",
        "lobby_tickets",
        ["outlet_id", "issued_at"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_lobby_tickets_waiting", table_name="lobby_tickets")
    op.drop_index("ix_lobby_tickets_first_called", table_name="lobby_tickets")
