"""The two engines that run `rollup_sql` over the landed Parquet: DuckDB and Apache Spark SQL.

DuckDB is embedded and the default on one machine. Spark (PySpark) runs the same SQL text when
the history outgrows one machine: local mode in tests and benchmarks, a cluster in production
(the session's master is the caller's choice). Both see the files through a relation called
`events_raw`; neither reads the Hive partition columns (`day` and `tier1_id` are in the files).
"""

from __future__ import annotations

import datetime as dt
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

    def sql(self) -> str:
        return rollup_sql(
            self.grain,
            self.target_s,
            self.day_from.isoformat() if self.day_from else None,
            self.day_to.isoformat() if self.day_to else None,
        )


Row = tuple[Any, ...]


def duckdb_rollup(root: str, query: RollupQuery, threads: int | None = None) -> list[Row]:
    """The roll-up computed by DuckDB, rows ordered by the grain's keys."""
    if not parquet_files(root):
        return []
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        fs, root_path = filesystem(root)
        pattern = f"{root_path}/date=*/tier1=*/*.parquet"
        if not isinstance(fs, LocalFileSystem):
            con.register_filesystem(fs)  # object stores through fsspec
            pattern = f"{_protocol(fs)}://{pattern}"
        quoted = pattern.replace("'", "''")
        con.execute(
            "CREATE VIEW events_raw AS SELECT * FROM"
            f" read_parquet('{quoted}', hive_partitioning = false)"
        )
        return [tuple(r) for r in con.execute(query.sql()).fetchall()]
    finally:
        con.close()


def _protocol(fs: Any) -> str:
    protocol = fs.protocol
    return str(protocol[0] if isinstance(protocol, tuple | list) else protocol)


def spark_rollup(spark: SparkSession, root: str, query: RollupQuery) -> list[Row]:
    """The roll-up computed by Spark SQL in `spark`'s session, rows ordered as DuckDB's."""
    if not parquet_files(root):
        return []
    _, root_path = filesystem(root)
    location = root if "://" in root else root_path
    spark.read.parquet(location).createOrReplaceTempView("events_raw")
    names = columns(query.grain)
    return [tuple(row[name] for name in names) for row in spark.sql(query.sql()).collect()]


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
