"""One roll-up definition, two engines: DuckDB and Spark SQL (local mode) give identical rows
on the same Parquet, for every grain, with duplicated deliveries in the files."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from manyi.analytics.engines import RollupQuery, duckdb_rollup, local_spark, spark_rollup
from manyi.analytics.generate import generate
from manyi.analytics.lander import land
from manyi.workdays.domain.calendar import ChinaCalendar
from tests.analytics_helpers import ticket_envelopes


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    with local_spark(cores=1, app="manyi-tests") as session:
        yield session


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("analytics")
    generate(
        str(root),
        outlets=12,
        days=3,
        start=dt.date(2026, 11, 6),  # pension days into a weekend
        calendar=ChinaCalendar(),
        zone=zoneinfo.ZoneInfo("Asia/Shanghai"),
        seed=11,
    )
    landed = ticket_envelopes(seed=2, tickets=150, day=dt.date(2026, 11, 7))
    land(landed, str(root), "Asia/Shanghai")
    land(landed[100:300], str(root), "Asia/Shanghai")  # a redelivery cut differently
    return str(root)


@pytest.mark.parametrize("grain", ["day", "hour", "day_service"])
def test_duckdb_and_spark_give_identical_rollups(
    spark: SparkSession, store: str, grain: str
) -> None:
    query = RollupQuery(grain=grain, target_s=420)
    by_duckdb = duckdb_rollup(store, query)
    by_spark = spark_rollup(spark, store, query)
    assert len(by_duckdb) > 20
    assert by_spark == by_duckdb  # exact: integers, and means as one IEEE division each


def test_both_engines_read_a_day_range_and_an_empty_store_alike(
    spark: SparkSession, store: str, tmp_path: Path
) -> None:
    query = RollupQuery(day_from=dt.date(2026, 11, 7), day_to=dt.date(2026, 11, 8))
    rows = duckdb_rollup(store, query)
    assert {row[2] for row in rows} == {dt.date(2026, 11, 7)}
    assert spark_rollup(spark, store, query) == rows
    assert spark_rollup(spark, str(tmp_path), query) == duckdb_rollup(str(tmp_path), query) == []
