"""The analytics store on a non-local fsspec root (`MANYI_ANALYTICS_ROOT=memory://…`, standing
in for s3:// or hdfs://): the lander writes through fsspec, DuckDB reads through fsspec
(`register_filesystem`), compaction rewrites in place, and every roll-up equals the one over
a local directory holding the same batches. fsspec's in-memory filesystem has no file on disk,
so a roll-up that finds the events read them through fsspec."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from manyi.analytics.compaction import compact
from manyi.analytics.engines import RollupQuery, duckdb_rollup, split_files
from manyi.analytics.lander import land
from manyi.analytics.layout import parquet_files
from manyi.analytics.rollup_sql import columns
from manyi.config import load_settings
from tests.analytics_helpers import reference_daily, ticket_envelopes

ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 11, 30)
GRAINS = [RollupQuery(grain=g, target_s=600) for g in ("day", "hour", "day_service")]


@pytest.fixture
def memory_root() -> Iterator[str]:
    root = f"memory://manyi-tests/{uuid.uuid4().hex}/analytics"
    yield root
    memory = fsspec.filesystem("memory")
    if memory.exists(root):
        memory.rm(root, recursive=True)


def land_batches(root: str, envelopes: list[dict]) -> None:
    """The whole history, a redelivery of its first batch and an overlapping one."""
    land(envelopes[:500], root, ZONE)
    land(envelopes[:500], root, ZONE)
    land(envelopes[300:], root, ZONE)


def test_land_and_roll_up_on_an_fsspec_url(
    memory_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may land on the local disk under a "memory:" folder
    monkeypatch.setenv("MANYI_ANALYTICS_ROOT", memory_root)
    root = load_settings().analytics_root
    assert root == memory_root
    envelopes = ticket_envelopes(seed=7, tickets=300, day=DAY)
    land_batches(root, envelopes)
    local = tmp_path / "local"
    land_batches(str(local), envelopes)
    files = parquet_files(root)
    memory = fsspec.filesystem("memory")
    assert files and all(memory.exists(path) for path in files)
    assert [p.split("/analytics/")[1] for p in files] == [
        p.split("/local/")[1] for p in parquet_files(str(local))
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local"]
    assert "events_landed" in split_files(root)  # the overlap: read with the de-duplication
    for query in GRAINS:
        assert duckdb_rollup(root, query) == duckdb_rollup(str(local), query), query.grain
    daily = {row[:3]: row for row in duckdb_rollup(root, GRAINS[0])}
    tickets = columns("day").index("tickets")
    assert sum(row[tickets] for row in daily.values()) == 300  # each ticket once
    assert set(daily) == set(reference_daily(envelopes, 600))
    # Compaction rewrites the object store's partitions in place; the roll-ups do not move.
    assert compact(root, DAY + dt.timedelta(days=1)) > 0
    assert "events_landed" not in split_files(root)
    for query in GRAINS:
        assert duckdb_rollup(root, query) == duckdb_rollup(str(local), query), query.grain


def test_a_file_url_is_the_local_directory(tmp_path: Path) -> None:
    envelopes = ticket_envelopes(seed=8, tickets=80, day=DAY)
    land(envelopes, f"file://{tmp_path}", ZONE)
    assert parquet_files(str(tmp_path)) == parquet_files(f"file://{tmp_path}")
    assert duckdb_rollup(f"file://{tmp_path}", GRAINS[0]) == duckdb_rollup(str(tmp_path), GRAINS[0])
