"""The lobby-event history partitioned by month on PostgreSQL (issue 21); SQLite unchanged.

`lobby_events` becomes a table partitioned by range of `at`, one partition per calendar month
(UTC) in the schema `lobby_event_months` (so the models' comparison with the database sees
only the parent), and a default partition for rows outside every prepared month (a clock far
off, old imports): the worker's job splits it when it prepares a month. The primary key is
(id, at), as PostgreSQL requires the partition key in it; ids still come from the same
sequence and stay unique. Nothing refers to lobby_events by a foreign key.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-05 12:00:00.000000
"""

import datetime as dt
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = "lobby_event_months"
INDEXES = {
    "ix_lobby_events_at": "(at)",
    "ix_lobby_events_outlet": "(outlet_id, id)",
    "ix_lobby_events_ticket_id": "(ticket_id)",
}


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _rename_away(suffix: str) -> None:
    op.execute(f"ALTER TABLE lobby_events RENAME TO lobby_events{suffix}")
    op.execute(
        f"ALTER TABLE lobby_events{suffix} RENAME CONSTRAINT pk_lobby_events TO pk_le{suffix}"
    )
    op.execute(
        f"ALTER TABLE lobby_events{suffix} RENAME CONSTRAINT fk_lobby_events_outlet_id_units"
        f" TO fk_le{suffix}"
    )
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}{suffix}")


def _take_over(old: str) -> None:
    """Copy the rows of `old` into the new `lobby_events`, move the id sequence, drop `old`."""
    op.execute("INSERT INTO lobby_events SELECT * FROM " + old)  # noqa: S608 (a fixed name)
    op.execute("ALTER SEQUENCE lobby_events_id_seq OWNED BY lobby_events.id")
    op.execute(f"DROP TABLE {old}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _rename_away("_unpartitioned")
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTS}")
    op.execute(
        "CREATE TABLE lobby_events (LIKE lobby_events_unpartitioned INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (at)"
    )
    op.execute("ALTER TABLE lobby_events ADD CONSTRAINT pk_lobby_events PRIMARY KEY (id, at)")
    op.execute(
        "ALTER TABLE lobby_events ADD CONSTRAINT fk_lobby_events_outlet_id_units"
        " FOREIGN KEY (outlet_id) REFERENCES units (id)"
    )
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON lobby_events {columns}")
    op.execute(f"CREATE TABLE {PARTS}.lobby_events_default PARTITION OF lobby_events DEFAULT")
    # A partition for every month that has events, and for this month and the next.
    having = bind.execute(
        text(
            "SELECT DISTINCT CAST(date_trunc('month', at AT TIME ZONE 'UTC') AS date)"
            " FROM lobby_events_unpartitioned"
        )
    ).scalars()
    today = dt.datetime.now(dt.UTC).date()
    this_month = dt.date(today.year, today.month, 1)
    for month in sorted({*having, this_month, _next_month(this_month)}):
        following = _next_month(month)
        op.execute(
            f"CREATE TABLE {PARTS}.m{month.year:04d}_{month.month:02d} PARTITION OF lobby_events"
            f" FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO"
            f" ('{following.isoformat()} 00:00+00')"
        )
    _take_over("lobby_events_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rename_away("_partitioned")
    op.execute("CREATE TABLE lobby_events (LIKE lobby_events_partitioned INCLUDING DEFAULTS)")
    op.execute("ALTER TABLE lobby_events ADD CONSTRAINT pk_lobby_events PRIMARY KEY (id)")
    op.execute(
        "ALTER TABLE lobby_events ADD CONSTRAINT fk_lobby_events_outlet_id_units"
        " FOREIGN KEY (outlet_id) REFERENCES units (id)"
    )
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON lobby_events {columns}")
    _take_over("lobby_events_partitioned")
    op.execute(f"DROP SCHEMA {PARTS} CASCADE")
