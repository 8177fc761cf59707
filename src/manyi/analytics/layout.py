"""The analytics store's Parquet layout: one schema, Hive-style partitions, atomic file writes.

Events land under a root (a local directory or any fsspec URL, `MANYI_ANALYTICS_ROOT`) as

    <root>/date=2026-12-05/tier1=12/part-<digest>.parquet

`date` is the outlet's local business day (the bank's time zone, not UTC: a ticket issued at
07:30 Beijing time belongs to that day although it is 23:30 UTC the day before) and `tier1` the
tier-1 branch unit id (0 when unknown). The same day and the local hour are also columns in the
files (`day`, `hour`), so the roll-ups group by plain columns and neither engine has to agree
with the other on time-zone arithmetic.

A file is written under a hidden temporary name and renamed: readers (DuckDB's `*.parquet`
glob, Spark's listing, which skips names starting with a dot) never see half a file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("hour", pa.int32(), nullable=False),
        pa.field("outlet_id", pa.int64()),
        pa.field("tier1_id", pa.int64()),
        pa.field("ticket_id", pa.int64()),
        pa.field("counter_id", pa.int64()),
        pa.field("staff_id", pa.int64()),
        # The lobby fields the publisher promotes out of `data` (typed, nullable).
        pa.field("service_code", pa.string()),
        pa.field("klass", pa.string()),
        pa.field("wait_s", pa.int32()),
        pa.field("service_s", pa.int32()),
        pa.field("outcome", pa.string()),
        pa.field("data", pa.string(), nullable=False),  # the whole payload as JSON text
    ]
)


def filesystem(root: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of `root` and the path within it (a plain path: the local disk)."""
    fs, path = fsspec.core.url_to_fs(root)
    return fs, str(path).rstrip("/")


def local_day_and_hour(at: pa.Array | pa.ChunkedArray, zone: str) -> tuple[pa.Array, pa.Array]:
    """The business day and hour of each UTC instant in the bank's time zone."""
    local = pc.local_timestamp(at.cast(pa.timestamp("us", tz=zone)))
    return pc.cast(local, pa.date32()), pc.cast(pc.hour(local), pa.int32())


def partition_dir(root_path: str, day: dt.date, tier1: int) -> str:
    return f"{root_path}/date={day.isoformat()}/tier1={tier1}"


def write_partitioned(table: pa.Table, root: str, basename: str) -> list[str]:
    """Write `table` (in SCHEMA) as one file `basename` in each (day, tier1) partition it spans.

    The same table written again under the same name replaces the same files: a retried batch
    lands once. Returns the paths written.
    """
    if table.num_rows == 0:
        return []
    table = table.select(SCHEMA.names).cast(SCHEMA)
    fs, root_path = filesystem(root)
    tier1 = pc.fill_null(table["tier1_id"], 0)
    keys = pa.table({"day": table["day"], "tier1": tier1, "row": np.arange(table.num_rows)})
    ordered = keys.sort_by([("day", "ascending"), ("tier1", "ascending")])
    table = table.take(ordered["row"])
    days = ordered["day"].to_numpy()
    tiers = ordered["tier1"].to_numpy()
    # Partition boundaries: where the (day, tier1) pair changes along the sorted rows.
    change = np.flatnonzero((days[1:] != days[:-1]) | (tiers[1:] != tiers[:-1])) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [table.num_rows]))
    written = []
    for start, end in zip(starts, ends, strict=True):
        day = dt.date(1970, 1, 1) + dt.timedelta(days=int(days[start].astype("int64")))
        directory = partition_dir(root_path, day, int(tiers[start]))
        written.append(_write_file(fs, directory, basename, table.slice(start, end - start)))
    return written


def _write_file(fs: Any, directory: str, basename: str, part: pa.Table) -> str:
    fs.makedirs(directory, exist_ok=True)
    final = f"{directory}/{basename}"
    temporary = f"{directory}/.{basename}.{uuid.uuid4().hex}.tmp"
    with fs.open(temporary, "wb") as out:
        pq.write_table(part, out, compression="zstd")
    fs.mv(temporary, final)
    return final


def parquet_files(root: str) -> list[str]:
    """Every landed file under `root` (none when the root does not exist yet)."""
    fs, root_path = filesystem(root)
    if not fs.exists(root_path):
        return []
    return sorted(str(p) for p in fs.glob(f"{root_path}/date=*/tier1=*/*.parquet"))
