"""The event stream landed in the analytics store, against the real NATS server and DuckDB: a
lander stopped after writing a batch and before acknowledging it resumes, and the roll-ups
count every event once; a refused envelope does not hold the stream up; the worker's jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from manyi import aio
from manyi.analytics import jobs as analytics_jobs
from manyi.analytics import landing
from manyi.analytics.compaction import compact
from manyi.analytics.engines import RollupQuery, duckdb_rollup
from manyi.analytics.lander import land
from manyi.analytics.layout import parquet_files
from manyi.analytics.rollup_sql import columns
from manyi.cli import app
from manyi.config import Settings
from manyi.db import Database
from manyi.stream.consumer import ConsumerOptions, consume
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec, connect, ensure_stream, publish_envelopes
from tests.analytics_helpers import reference_daily, ticket_envelopes
from tests.conftest import sqlite_only
from tests.stream_helpers import stream_spec_fixture  # noqa: F401 (fixture)

ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 on 1 December in Beijing
GRAINS = [RollupQuery(grain=g, target_s=600) for g in ("day", "hour", "day_service")]


def publish(url: str, spec: StreamSpec, envelopes: list[dict[str, Any]]) -> None:
    async def go() -> None:
        nc = await connect(url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, spec)
            batch = [Envelope.decode(json.dumps(e).encode()) for e in envelopes]
            assert await publish_envelopes(js, spec, batch) == len(batch)
        finally:
            await nc.close()

    aio.run(go())


def rows_in_files(root: str) -> int:
    return sum(pq.ParquetFile(path).metadata.num_rows for path in parquet_files(root))


def test_a_stopped_lander_resumes_without_losing_or_duplicating_rollup_rows(
    tmp_path: Path, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec
    envelopes = ticket_envelopes(seed=11, tickets=150, day=DAY)
    publish(url, spec, envelopes)
    root = str(tmp_path / "store")
    batches: list[int] = []

    class Stopped(Exception):
        pass

    write = landing.handler(root, ZONE)

    def land_then_stop(batch: list[Envelope]) -> None:
        write(batch)  # the batch's files are in place...
        batches.append(len(batch))
        if len(batches) == 3:
            raise Stopped  # ...and the consumer stops before acknowledging it

    options = ConsumerOptions(batch=50, ack_wait_s=1.0, idle_stop_s=0.5)
    with pytest.raises(Stopped):
        consume(url, landing.DURABLE, land_then_stop, spec=spec, options=options)
    assert batches == [50, 50, 50]
    first = {row[:3]: row[3] for row in duckdb_rollup(root, GRAINS[0])}
    assert 0 < sum(first.values()) < 150  # part of the day is landed

    # Restarted once the unacknowledged batch is due again, fetching batches cut differently:
    # the 50 events of the stopped batch come again, after them the rest, and nothing else.
    aio.run(asyncio.sleep(1.2))
    tally = landing.land_stream(
        url, root, ZONE, spec=spec, options=ConsumerOptions(batch=70, idle_stop_s=1.0)
    )
    assert tally.events == len(envelopes) - 100 and tally.rejected == []
    assert rows_in_files(root) > len(envelopes)  # copies of the redelivered batch are on disk

    # The roll-ups equal those of every event landed once, and the count made by hand.
    once = str(tmp_path / "once")
    land(envelopes, once, ZONE)
    for query in GRAINS:
        assert duckdb_rollup(root, query) == duckdb_rollup(once, query), query.grain
    daily = duckdb_rollup(root, GRAINS[0])
    names = columns("day")
    expected = reference_daily(envelopes, 600)
    assert sum(row[names.index("tickets")] for row in daily) == 150
    for row in daily:
        measures = dict(zip(names, row, strict=True))
        reference = expected[(row[0], row[1], row[2])]
        for name in ("tickets", "no_shows", "cancellations", "waits", "services"):
            assert measures[name] == reference[name], name

    # A later restart has nothing left: the durable consumer kept its position.
    again = landing.land_stream(url, root, ZONE, spec=spec, options=options)
    assert again.events == 0
    # Compacted, the day is one file per partition with every event once, and the same sums.
    assert compact(root, DAY + dt.timedelta(days=1)) == len(parquet_files(root))
    assert rows_in_files(root) == len(envelopes)
    assert duckdb_rollup(root, GRAINS[0]) == daily


def test_a_refused_envelope_is_left_out_and_the_rest_of_its_batch_lands(
    tmp_path: Path, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec
    envelopes = ticket_envelopes(seed=2, tickets=10, day=DAY)
    bad = {**envelopes[3], "id": "lobby:bad", "at": "2026-11-30T09:00:00+08:00"}
    publish(url, spec, [*envelopes[:5], bad, *envelopes[5:]])
    root = str(tmp_path / "store")
    options = ConsumerOptions(batch=100, ack_wait_s=1.0, idle_stop_s=0.5)
    tally = landing.land_stream(url, root, ZONE, spec=spec, options=options)
    assert tally.events == len(envelopes)
    assert tally.rejected == ["lobby:bad: field 'at' must be UTC ending in Z"]
    once = str(tmp_path / "once")
    land(envelopes, once, ZONE)
    assert duckdb_rollup(root, GRAINS[0]) == duckdb_rollup(once, GRAINS[0])
    aio.run(asyncio.sleep(1.2))  # past the ack wait: nothing comes again, not even the bad one
    assert landing.land_stream(url, root, ZONE, spec=spec, options=options).events == 0


@sqlite_only
def test_the_land_job_runs_only_with_the_stream_on_and_the_command_lands_too(
    db: Database,
    tmp_path: Path,
    stream_spec: tuple[str, StreamSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, spec = stream_spec
    envelopes = ticket_envelopes(seed=4, tickets=20, day=DAY)
    publish(url, spec, envelopes[:30])
    monkeypatch.setattr(landing, "SPEC", spec)
    root = str(tmp_path / "store")
    (job,) = analytics_jobs.LAND_JOBS
    off = job.run(db, Settings(analytics_root=root), NOW)
    assert (off.done, parquet_files(root)) == (0, [])
    on = job.run(db, Settings(analytics_root=root, stream="nats", nats_url=url), NOW)
    assert on.done == 30 and "30 events landed" in on.summary
    assert job.lease_s is not None  # one lander at a time

    # The command goes on from where the job stopped (the same durable consumer).
    publish(url, spec, envelopes[30:])
    env = {"MANYI_NATS_URL": url, "MANYI_ANALYTICS_ROOT": root, "MANYI_TIMEZONE": ZONE}
    result = CliRunner().invoke(app, ["cockpit", "land", "--idle-stop", "0.5"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(envelopes) - 30} events landed" in result.output
    once = str(tmp_path / "once")
    land(envelopes, once, ZONE)
    assert duckdb_rollup(root, GRAINS[0]) == duckdb_rollup(once, GRAINS[0])


def test_the_command_names_an_unreachable_server(tmp_path: Path) -> None:
    env = {"MANYI_NATS_URL": "nats://127.0.0.1:1", "MANYI_ANALYTICS_ROOT": str(tmp_path)}
    result = CliRunner().invoke(app, ["cockpit", "land", "--idle-stop", "0.5"], env=env)
    assert result.exit_code == 1
    assert "NATS at nats://127.0.0.1:1" in result.output
    assert parquet_files(str(tmp_path)) == []


@sqlite_only
def test_the_compaction_job_compacts_finished_days_once_a_day(db: Database, tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    yesterday = ticket_envelopes(seed=6, tickets=30, day=DAY)
    today = ticket_envelopes(seed=7, tickets=30, day=DAY + dt.timedelta(days=1))
    for batch in (yesterday[:40], yesterday[30:], today[:40], today[30:]):  # overlapping
        land(batch, root, ZONE)
    before = {p.split("date=")[1][:10] for p in parquet_files(root)}
    assert before == {"2026-11-30", "2026-12-01"}
    daily = duckdb_rollup(root, GRAINS[0])
    (job,) = [j for j in analytics_jobs.JOBS if j.name == "analytics-compact"]
    assert job.lease_s == 24 * 3600  # bank-wide, once a day
    done = job.run(db, Settings(analytics_root=root, timezone=ZONE), NOW)
    files = parquet_files(root)
    finished = [p for p in files if "date=2026-11-30" in p]
    running = [p for p in files if "date=2026-12-01" in p]
    assert done.done == len(finished) and all("/compact-" in p for p in finished)
    assert all("/part-" in p for p in running) and len(running) > len(finished)  # today: as landed
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in finished) == len(yesterday)
    assert duckdb_rollup(root, GRAINS[0]) == daily
    assert job.run(db, Settings(analytics_root=root, timezone=ZONE), NOW).done == 0
