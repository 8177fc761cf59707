"""Cost of the audit hash chain: appends and verification, against plain inserts.

Prints figures only. Baseline: inserting the same rows into a table of the
same shape without the chain (no head-row update, no hashing), in the same
run on the same engine. Set MANYI_BENCH_DATABASE_URL to measure PostgreSQL
(use a scratch database: it is migrated and audit rows are added to it).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, text

from manyi import audit
from manyi.db import Database, upgrade

N = int(os.environ.get("MANYI_BENCH_N", "2000"))
ACTOR = audit.Actor(id=1, name="bench", unit_id=1, unit_path="/1/")


def main() -> None:
    url = os.environ.get("MANYI_BENCH_DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    upgrade(url)
    db = Database(url)
    plain = Table(
        "bench_plain_events",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("actor", String(100)),
        Column("action", String(60)),
        Column("summary", Text),
        Column("hash", String(64)),
    )
    plain.drop(db.engine, checkfirst=True)
    plain.create(db.engine)

    start = time.perf_counter()
    for i in range(N):
        with db.session() as session:
            session.execute(
                insert(plain).values(
                    actor="bench", action="thing.changed", summary=f'{{"i":{i}}}', hash="0" * 64
                )
            )
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    for i in range(N):
        with db.session() as session:
            audit.record(
                session,
                ACTOR,
                entity_type="thing",
                entity_id=i,
                action="thing.changed",
                summary={"i": i},
            )
    chained = time.perf_counter() - start

    start = time.perf_counter()
    with db.session() as session:
        result = audit.verify(session)
    verify_s = time.perf_counter() - start
    assert result.ok

    engine = db.engine.dialect.name
    print(f"engine: {engine}; {N} events, one transaction each")
    print(f"plain insert (baseline): {N / baseline:,.0f} events/s")
    print(
        f"chained audit append:    {N / chained:,.0f} events/s "
        f"(ratio to baseline {chained / baseline:.2f}x time)"
    )
    print(
        f"verify: {result.rows:,} rows in {verify_s:.3f} s ({result.rows / verify_s:,.0f} rows/s)"
    )
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_plain_events"))
    db.dispose()


if __name__ == "__main__":
    main()
