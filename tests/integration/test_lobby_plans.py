"""Call-next reads the front of each service's line through the queue's own index even before
PostgreSQL has statistics of the tickets (a new database, or one autovacuum has not analysed
yet). Migration 0056's index of the waiting tickets led with the outlet, and without
statistics the planner read a counter's candidates through it: every waiting ticket of the
outlet and a sort, 1.1 ms of the database's CPU a call at 2,500 waiting instead of 0.1 ms.
Migration 0057 leads it with the issue time.

The database here is as the bench's was after a few seconds: migrated empty (so the indexes
were built on no rows and the table was never analysed), then 12,500 tickets of which the
first 10,000 were called and served. Before 0057 this test fails: both lines of normal
tickets are read through ix_lobby_tickets_waiting and sorted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from manyi.db import Database, upgrade
from manyi.lobby import hot_sql, service, store
from manyi.lobby.tables import LobbyTicket
from tests.conftest import build_bank
from tests.lobby_helpers import T0, configure, operator


@pytest.mark.parametrize("fresh_url", ["postgresql"], indirect=True)
def test_candidates_are_read_through_the_queue_index_without_statistics(fresh_url: str) -> None:
    upgrade(fresh_url)
    db = Database(fresh_url)
    outlet_id = build_bank(db).unit("OUT-A")
    configure(db, outlet_id, opens=dt.time(0), closes=None)
    with db.session() as session:
        service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", T0)
    with db.session() as session:
        row = session.scalars(select(LobbyTicket)).one()
        columns = {c.key: getattr(row, c.key) for c in LobbyTicket.__table__.columns}
        session.execute(
            insert(LobbyTicket),
            [
                {
                    **columns,
                    "id": None,
                    "service_code": "AB"[k % 2],
                    "seq": k,
                    "number": f"X{k:04d}",
                    "public_token": f"queue-{k}",
                    "queued_at": T0 + dt.timedelta(seconds=k),
                    # The day so far: most served, the last 2,500 waiting.
                    "state": "waiting",
                }
                for k in range(2, 12_500)
            ],
        )
        # The day so far: the first 10,000 called and served (each update a new row version).
        for state in ("called", "finished"):
            session.execute(
                update(LobbyTicket).where(LobbyTicket.seq <= 10_000).values(state=state)
            )
    sql = hot_sql._candidates_sql(True, 2)
    params: list[Any] = []
    for code in ("A", "B"):
        params += [outlet_id, code, T0.date(), store.NORMAL_HEAD]
    params += [outlet_id, T0.date(), ["A", "B"]]
    with db.engine.connect() as conn:
        plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, tuple(params)))
    db.dispose()
    assert "ix_lobby_tickets_queue " in plan, plan
    assert "ix_lobby_tickets_waiting" not in plan, plan
