"""How many wait, per outlet, business day and service, kept by triggers (issue 22).

Issuing told each customer how many are ahead by counting the outlet's waiting tickets: a
read that grows with the queue (1 ms of the database's CPU at 2,500 waiting, at every
ticket). `lobby_queue_tally` holds the same figures, kept by triggers on `lobby_tickets` in
the statement that changes a ticket, so that issuing sums a few rows however long the queue.

A key's count is the sum of its rows (`shard`): row 0 takes the tickets that join the queue
when issued (and those cancelled or deleted while waiting); a ticket a counter calls, or puts
back, counts on that counter's row. Kiosks and counters thus never wait on the same row, nor
counters on each other's (the rows are held until commit).

The triggers are made before the existing queue is counted into the tally, in the same
transaction on PostgreSQL, whose CREATE TRIGGER holds off writes to lobby_tickets until
commit; on SQLite the migration is the only writer.

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-06 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "outlet_id, local_day, service_code, shard"
# An update moves a ticket into or out of the queue, or moves a waiting ticket to another key.
MOVED = (
    "(OLD.state = 'waiting' OR NEW.state = 'waiting') AND (OLD.state <> NEW.state"
    " OR OLD.outlet_id <> NEW.outlet_id OR OLD.local_day <> NEW.local_day"
    " OR OLD.service_code <> NEW.service_code)"
)

PG_FUNCTION = f"""
CREATE FUNCTION manyi_lobby_queue_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k integer := 0;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        k := coalesce(NEW.counter_id, OLD.counter_id, 0);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF OLD.state = 'waiting' THEN
            INSERT INTO lobby_queue_tally AS q ({KEY}, n)
            VALUES (OLD.outlet_id, OLD.local_day, OLD.service_code, k, -1)
            ON CONFLICT ({KEY}) DO UPDATE SET n = q.n - 1;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.state = 'waiting' THEN
            INSERT INTO lobby_queue_tally AS q ({KEY}, n)
            VALUES (NEW.outlet_id, NEW.local_day, NEW.service_code, k, 1)
            ON CONFLICT ({KEY}) DO UPDATE SET n = q.n + 1;
        END IF;
    END IF;
    RETURN NULL;
END $$
"""  # noqa: S608 (the module's own column names)
PG_TRIGGERS = {
    "insert": ("INSERT", "NEW.state = 'waiting'"),
    "update": ("UPDATE", MOVED),
    "delete": ("DELETE", "OLD.state = 'waiting'"),
}


def _sqlite_step(row: str, shard: str, delta: int) -> str:
    """One row's change of the tally, when `row` (OLD or NEW) is waiting."""
    return (
        f"INSERT INTO lobby_queue_tally ({KEY}, n) SELECT {row}.outlet_id, {row}.local_day,"
        f" {row}.service_code, {shard}, {delta} WHERE {row}.state = 'waiting'"
        f" ON CONFLICT ({KEY}) DO UPDATE SET n = n + ({delta});"
    )


SQLITE_SHARD = "coalesce(NEW.counter_id, OLD.counter_id, 0)"
SQLITE_TRIGGERS = {
    "insert": ("INSERT", "NEW.state = 'waiting'", _sqlite_step("NEW", "0", 1)),
    "update": (
        "UPDATE",
        MOVED,
        _sqlite_step("OLD", SQLITE_SHARD, -1) + " " + _sqlite_step("NEW", SQLITE_SHARD, 1),
    ),
    "delete": ("DELETE", "OLD.state = 'waiting'", _sqlite_step("OLD", "0", -1)),
}


def upgrade() -> None:
    op.create_table(
        "lobby_queue_tally",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "outlet_id", "local_day", "service_code", "shard", name=op.f("pk_lobby_queue_tally")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name, (verb, when) in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER lobby_queue_tally_{name} AFTER {verb} ON lobby_tickets"
                f" FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION manyi_lobby_queue_tally()"
            )
    else:
        for name, (verb, when, body) in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER lobby_queue_tally_{name} AFTER {verb} ON lobby_tickets"
                f" FOR EACH ROW WHEN {when} BEGIN {body} END"
            )
    op.execute(
        "INSERT INTO lobby_queue_tally (outlet_id, local_day, service_code, shard, n)"
        " SELECT outlet_id, local_day, service_code, 0,"
        " count(*) FROM lobby_tickets WHERE state = 'waiting'"
        " GROUP BY outlet_id, local_day, service_code"
    )


def downgrade() -> None:
    for name in PG_TRIGGERS:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS lobby_queue_tally_{name} ON lobby_tickets")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS lobby_queue_tally_{name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS manyi_lobby_queue_tally()")
    op.drop_table("lobby_queue_tally")
