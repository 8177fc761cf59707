"""One envelope per event, whichever path builds it: the stream's publisher (an outbox row) and
the analytics archive (a stored lobby event) give byte-identical envelopes, so the store's
de-dup keeps one row; the finishing events of no-shows and cancellations carry their outcome,
which the roll-ups count abandonment from. On SQLite and PostgreSQL, without NATS."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manyi import event_outbox
from manyi.analytics import partitions, retention
from manyi.analytics.engines import RollupQuery, duckdb_rollup
from manyi.analytics.lander import land
from manyi.analytics.layout import parquet_files
from manyi.analytics.rollup_sql import columns
from manyi.db import Database
from manyi.lobby import counters, service
from manyi.stream import queries
from manyi.stream.domain.envelope import Envelope
from tests.conftest import Bank
from tests.lobby_helpers import T0, configure, operator

MIN = dt.timedelta(minutes=1)
ZONE = "Asia/Shanghai"


@pytest.fixture
def sdb(database_url: str, db: Database) -> Iterator[Database]:
    """The same database, with the event stream on (as MANYI_STREAM=nats makes every session)."""
    streaming = Database(database_url, {event_outbox.SESSION_KEY: True})
    yield streaming
    streaming.dispose()


def issue(db: Database, at: dt.datetime) -> int:
    with db.session() as session:
        return service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", at).ticket.id


def at_counter(db: Database, step: str, at: dt.datetime) -> None:
    with db.session() as session:
        getattr(counters, step)(session, operator(session, "teller.a"), "OUT-A", 1, at)


def a_morning(db: Database, bank: Bank) -> dict[str, int]:
    """A served visit, a no-show (called twice) and a cancellation, in that order."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    at_counter(db, "open_counter", T0)
    served = issue(db, T0)
    absent = issue(db, T0 + MIN)
    gone = issue(db, T0 + 2 * MIN)
    at_counter(db, "call_next", T0 + 10 * MIN)
    at_counter(db, "start", T0 + 11 * MIN)
    at_counter(db, "complete", T0 + 18 * MIN)
    at_counter(db, "call_next", T0 + 19 * MIN)
    at_counter(db, "recall", T0 + 20 * MIN)
    at_counter(db, "no_show", T0 + 21 * MIN)
    with db.session() as session:
        service.cancel(session, operator(session, "teller.a"), gone, T0 + 22 * MIN)
    return {"served": served, "absent": absent, "gone": gone}


def published(db: Database) -> dict[str, Envelope]:
    with db.read() as session:
        return {e.id: e for _, e in queries.next_batch(session, 1000) if e.source == "lobby"}


def archived(db: Database) -> dict[str, bytes]:
    """The archive's envelopes of the stored lobby events, as the bytes a publisher would send."""
    with db.engine.connect() as conn:
        rows = conn.execute(partitions.export_query("lobby_events")).all()
    envelopes = [partitions.envelope(row._mapping) for row in rows]
    return {
        e["id"]: json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode()
        for e in envelopes
    }


def test_the_publisher_and_the_archive_build_the_same_envelope(sdb: Database, bank: Bank) -> None:
    tickets = a_morning(sdb, bank)
    stream = published(sdb)
    archive = archived(sdb)
    assert set(stream) == set(archive) and len(stream) >= 10
    for event_id, envelope in stream.items():
        assert envelope.encode() == archive[event_id], event_id
    by_kind = {(e.ticket_id, e.kind): e for e in stream.values()}
    called = by_kind[(tickets["served"], "called")]
    assert called.data["wait_s"] == 600 and called.data["klass"] == "normal"
    assert called.tier1_id == bank.unit("BR-A")


def test_no_shows_and_cancellations_carry_their_outcome_and_count_as_abandonment(
    sdb: Database, bank: Bank, tmp_path: Path
) -> None:
    tickets = a_morning(sdb, bank)
    stream = published(sdb)
    by_kind = {(e.ticket_id, e.kind): e for e in stream.values()}
    assert by_kind[(tickets["served"], "completed")].data["outcome"] == "served"
    assert by_kind[(tickets["absent"], "no_show")].data["outcome"] == "no_show"
    assert by_kind[(tickets["gone"], "cancelled")].data["outcome"] == "cancelled"
    unfinished = [e for e in stream.values() if e.kind in ("issued", "called", "recalled")]
    assert all("outcome" not in e.data for e in unfinished)

    land([e.as_json() for e in stream.values()], str(tmp_path), ZONE)
    (row,) = duckdb_rollup(str(tmp_path), RollupQuery(target_s=600))
    measures = dict(zip(columns("day"), row, strict=True))
    assert (measures["tickets"], measures["no_shows"], measures["cancellations"]) == (3, 1, 1)
    assert (measures["waits"], measures["services"]) == (2, 1)  # the no-show was waited for too


def test_tickets_left_over_from_yesterday_end_with_a_cancelled_event_and_its_outcome(
    sdb: Database, bank: Bank
) -> None:
    configure(sdb, bank.unit("OUT-A"))  # 09:00–17:00 in Beijing
    morning = T0 - dt.timedelta(hours=1)  # 09:00 on 30 November
    at_counter(sdb, "open_counter", morning)
    left = [issue(sdb, morning + k * MIN) for k in range(2)]
    at_counter(sdb, "close_counter", morning + 8 * 60 * MIN)
    next_day = morning + dt.timedelta(days=1)
    at_counter(sdb, "open_counter", next_day)  # the first sign-on sends the leftovers home
    stream = published(sdb)
    ends = [e for e in stream.values() if e.kind == "cancelled"]
    assert sorted(e.ticket_id or 0 for e in ends) == sorted(left)
    for e in ends:
        assert e.data["outcome"] == "cancelled" and e.data["expired"] is True
        assert e.staff_id is None and e.at == "2026-12-01T01:00:00Z"
    opened = [e for e in stream.values() if e.kind == "counter_opened"]
    assert [e.data["expired"] for e in opened] == [0, 2]
    at_counter(sdb, "close_counter", next_day + MIN)
    at_counter(sdb, "open_counter", next_day + 2 * MIN)  # nothing more to send home
    assert len([e for e in published(sdb).values() if e.kind == "cancelled"]) == 2


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_an_archived_month_and_the_landed_stream_are_the_same_rows(
    sdb: Database, bank: Bank, tmp_path: Path
) -> None:
    a_morning(sdb, bank)
    stream = published(sdb)
    landed = str(tmp_path / "landed")
    land([e.as_json() for e in stream.values()], landed, ZONE)
    archive = str(tmp_path / "archive")
    november, december = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    retention.prepare_months(sdb, T0, ahead=0)
    (done,) = retention.archive_before(sdb, december, archive, ZONE)
    assert (done.month, done.rows) == (november, len(stream))
    tables = [
        pa.concat_tables(pq.read_table(p) for p in parquet_files(root)).sort_by("id")
        for root in (landed, archive)
    ]
    assert tables[0].equals(tables[1])  # every column of every row, `data` byte for byte
    both = str(tmp_path / "both")
    for root in (landed, archive):
        for path in parquet_files(root):
            target = Path(both) / Path(path).relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(Path(path).read_bytes())
    assert duckdb_rollup(both, RollupQuery()) == duckdb_rollup(landed, RollupQuery())
