"""The two engines that run `rollup_sql` over the landed Parquet: DuckDB and Apache Spark SQL.

DuckDB is embedded and the default on one machine. Spark (PySpark) runs the same SQL text when
the history outgrows one machine: local mode in tests and benchmarks, a cluster in production
(the session is the caller's). Both offer the files as the two relations the SQL reads
(`rollup_sql.RELATIONS`): `events_whole`, the files alone in their partition, and
`events_landed`, the partitions that hold several batches. Neither reads the Hive partition
columns (`day` and `tier1_id` are in the files).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
from fsspec.implementations.local import LocalFileSystem

from manyi.analytics.layout import filesystem, parquet_files
from manyi.analytics.rollup_sql import columns, rollup_sql

if TYPE_CHECKING:  # pyspark loads a JVM: only the Spark path imports it
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class RollupQuery:
    grain: str = "day"
    target_s: int = 600  # the service-level target: waits of at most ten minutes
    day_from: dt.date | None = None
    day_to: dt.date | None = None  # exclusive

    def sql(self, relations: tuple[str, ...] = ("events_whole", "events_landed")) -> str:
        return rollup_sql(
            self.grain,
            self.target_s,
            self.day_from.isoformat() if self.day_from else None,
            self.day_to.isoformat() if self.day_to else None,
            relations,
        )


Row = tuple[Any, ...]


def split_files(root: str) -> dict[str, list[str]]:
    """The store's files by relation: a partition of one file is whole, of several landed."""
    by_partition: dict[str, list[str]] = defaultdict(list)
    for path in parquet_files(root):
        by_partition[path.rsplit("/", 1)[0]].append(path)
    split: dict[str, list[str]] = {"events_whole": [], "events_landed": []}
    for files in by_partition.values():
        split["events_whole" if len(files) == 1 else "events_landed"] += files
    return {name: files for name, files in split.items() if files}


def duckdb_rollup(root: str, query: RollupQuery, threads: int | None = None) -> list[Row]:
    """The roll-up computed by DuckDB, rows ordered by the grain's keys."""
    relations = split_files(root)
    if not relations:
        return []
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        fs, _ = filesystem(root)
        prefix = ""
        if not isinstance(fs, LocalFileSystem):
            con.register_filesystem(fs)  # object stores through fsspec
            prefix = f"{_protocol(fs)}://"
        for name, files in relations.items():
            listed = ", ".join("'" + (prefix + f).replace("'", "''") + "'" for f in files)
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM"  # noqa: S608 (quoted paths, fixed names)
                f" read_parquet([{listed}], hive_partitioning = false)"
            )
        return [tuple(r) for r in con.execute(query.sql(tuple(relations))).fetchall()]
    finally:
        con.close()


def _protocol(fs: Any) -> str:
    protocol = fs.protocol
    return str(protocol[0] if isinstance(protocol, tuple | list) else protocol)


def spark_rollup(spark: SparkSession, root: str, query: RollupQuery) -> list[Row]:
    """The roll-up computed by Spark SQL in `spark`'s session, rows ordered as DuckDB's."""
    relations = split_files(root)
    if not relations:
        return []
    fs, _ = filesystem(root)
    prefix = "" if isinstance(fs, LocalFileSystem) else f"{_protocol(fs)}://"
    for name, files in relations.items():
        spark.read.parquet(*(prefix + f for f in files)).createOrReplaceTempView(name)
    names = columns(query.grain)
    rows = spark.sql(query.sql(tuple(relations))).collect()
    return [tuple(row[name] for name in names) for row in rows]


@contextmanager
def local_spark(cores: int = 2, app: str = "manyi-analytics") -> Iterator[SparkSession]:
    """A Spark session in local mode sized for a small machine: few shuffle partitions, no UI.
    Production passes its own session (a cluster master) to `spark_rollup` instead."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
