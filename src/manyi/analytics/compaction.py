"""Compaction: a partition's batch files rewritten as one file with each event id once.

The lander leaves one file per batch, and overlapping deliveries leave copies of an event in
two files; the roll-ups de-duplicate such partitions as they read them (`events_landed`),
which costs most of a roll-up's time. Once a day is over, its partitions are compacted: the
files are read, one row per id kept, written as `compact-<digest>.parquet`, and only then the
batch files removed. A crash between the two leaves the copies that reading already handles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from manyi.analytics.layout import SCHEMA, filesystem, parquet_files, write_partitioned


def compact(root: str, before: dt.date) -> int:
    """Compact every partition of a day before `before` that holds several files; returns how
    many partitions were compacted."""
    fs, _ = filesystem(root)
    by_partition: dict[str, list[str]] = defaultdict(list)
    for path in parquet_files(root):
        by_partition[path.rsplit("/", 1)[0]].append(path)
    done = 0
    for directory, files in sorted(by_partition.items()):
        day = dt.date.fromisoformat(directory.split("date=")[1].split("/")[0])
        if len(files) < 2 or day >= before:
            continue
        tables = []
        for path in files:
            with fs.open(path, "rb") as handle:
                tables.append(pq.read_table(handle).cast(SCHEMA))
        whole = unique_ids(pa.concat_tables(tables))
        digest = hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:24]
        (written,) = write_partitioned(whole, root, f"compact-{digest}.parquet")
        for path in files:
            if path != written:
                fs.rm(path)
        done += 1
    return done


def unique_ids(table: pa.Table) -> pa.Table:
    """The rows of `table` with each id once (the first in id order)."""
    ordered = table.sort_by("id")
    ids = ordered["id"].combine_chunks()
    if len(ids) < 2:
        return ordered
    changed = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(zero_copy_only=False)
    keep = np.concatenate(([True], changed))
    return ordered.filter(pa.array(keep))
