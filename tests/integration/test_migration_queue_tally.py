"""Migration 0058 counts the queue already waiting into the tally that issuing reads, and its
downgrade takes the tally and its triggers away, on both engines (issue 22)."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import create_engine, inspect, select

from manyi.db import Database, alembic_config, upgrade
from manyi.lobby import counters, service, store
from manyi.lobby.tables import QueueTally
from tests.conftest import build_bank
from tests.lobby_helpers import T0, configure, operator

MINUTE = dt.timedelta(minutes=1)


def test_the_waiting_queue_is_counted_into_the_tally(fresh_url: str) -> None:
    upgrade(fresh_url)
    db = Database(fresh_url)
    outlet_id = build_bank(db).unit("OUT-A")
    configure(db, outlet_id)
    day = T0.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    for k, code in enumerate("AAAB"):
        with db.session() as session:
            service.issue_ticket(
                session, operator(session, "admin"), "OUT-A", code, T0 + k * MINUTE
            )
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.open_counter(session, teller, "OUT-A", 1, T0 + 5 * MINUTE)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.call_next(session, teller, "OUT-A", 1, T0 + 6 * MINUTE)
    db.dispose()

    command.downgrade(alembic_config(fresh_url), "0057")
    plain = create_engine(fresh_url)
    assert "lobby_queue_tally" not in inspect(plain).get_table_names()
    plain.dispose()
    upgrade(fresh_url)

    db = Database(fresh_url)
    with db.session() as session:
        rows = session.execute(select(QueueTally.service_code, QueueTally.shard, QueueTally.n))
        assert sorted(tuple(r) for r in rows) == [("A", 0, 2), ("B", 0, 1)]
    # And the triggers keep it from there.
    with db.session() as session:
        service.issue_ticket(session, operator(session, "admin"), "OUT-A", "B", T0 + 7 * MINUTE)
    with db.session() as session:
        assert store.waiting_counts(session, outlet_id, day) == {"A": 2, "B": 2}
    db.dispose()
