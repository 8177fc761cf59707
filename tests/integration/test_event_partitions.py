"""The lobby-event history by month on PostgreSQL: months prepared ahead (rows waiting in the
default partition move in), old months exported to Parquet, counted and dropped; SQLite keeps
its one plain table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from manyi.analytics import partitions, retention
from manyi.analytics.engines import RollupQuery, duckdb_rollup
from manyi.analytics.layout import parquet_files
from manyi.cli import app
from manyi.db import Database
from manyi.lobby import events
from tests.conftest import Bank, sqlite_only

postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
ZONE = "Asia/Shanghai"
MAY, JUNE, JULY, AUGUST = (dt.date(2024, m, 1) for m in (5, 6, 7, 8))


def _at(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_).replace(tzinfo=dt.UTC)


def _emit(db: Database, outlet: int, *stamps: str) -> None:
    with db.session() as session:
        for n, stamp in enumerate(stamps):
            events.emit(session, outlet, "issued", _at(stamp), ticket_id=None, data={"n": n})


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@postgres_only
def test_months_are_prepared_and_old_ones_archived(
    db: Database, bank: Bank, tmp_path: Path
) -> None:
    outlet = bank.unit("OUT-A")
    root = str(tmp_path / "store")
    # 23:59 on 31 May UTC is 1 June in Beijing: the partition is May's (UTC), the day June's.
    _emit(db, outlet, "2024-05-10 02:00", "2024-05-31 23:59", "2024-06-01 00:00")
    try:
        assert retention.is_partitioned(db)
        assert retention.prepare_months(db, _at("2024-05-20 08:00")) == [MAY, JUNE, JULY]
        assert retention.prepare_months(db, _at("2024-05-21 08:00")) == []  # already there
        assert _count(db, "lobby_event_months.m2024_05") == 2  # moved out of the default
        assert _count(db, "lobby_event_months.m2024_06") == 1
        _emit(db, outlet, "2024-06-15 03:00")  # the insert path lands in June's partition
        assert _count(db, "lobby_event_months.m2024_06") == 2
        assert _count(db, "lobby_events") == 4

        done = retention.archive_before(db, JULY, root, ZONE)
        assert [(a.month, a.rows) for a in done] == [(MAY, 2), (JUNE, 2)]
        with db.engine.connect() as conn:
            assert partitions.prepared_months(conn)[:1] == [JULY]
        assert _count(db, "lobby_events") == 0
        rows = duckdb_rollup(root, RollupQuery())
        by_day = {row[2]: row[3] for row in rows}
        assert by_day == {dt.date(2024, 5, 10): 1, dt.date(2024, 6, 1): 2, dt.date(2024, 6, 15): 1}
        assert {row[1] for row in rows} == {bank.unit("BR-A")}  # tier-1 from the unit path
        assert retention.archive_before(db, JULY, root, ZONE) == []  # nothing left to do
    finally:
        retention.archive_before(db, AUGUST, str(tmp_path / "cleanup"), ZONE)


@postgres_only
def test_a_count_that_disagrees_keeps_the_partition(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _emit(db, bank.unit("OUT-B"), "2024-05-03 01:00", "2024-05-04 01:00")
    try:
        retention.prepare_months(db, _at("2024-05-03 00:00"), ahead=0)
        # A store that loses a row on the way (a full disk, a flaky object store).
        monkeypatch.setattr(partitions, "rows_in", lambda root, files: 1)
        with pytest.raises(partitions.ArchiveError, match="2 rows in the partition but 1"):
            retention.archive_before(db, JUNE, str(tmp_path), ZONE)
        assert _count(db, "lobby_event_months.m2024_05") == 2
        monkeypatch.undo()
        runner = CliRunner()
        env = {
            "MANYI_DATABASE_URL": db.url,
            "MANYI_ANALYTICS_ROOT": str(tmp_path / "cli"),
        }
        result = runner.invoke(app, ["cockpit", "archive", "--before", "2024-06"], env=env)
        assert result.exit_code == 0, result.output
        assert "2024-05: 2 rows in" in result.output
        assert len(parquet_files(str(tmp_path / "cli"))) == 2  # two local days
    finally:
        retention.archive_before(db, JUNE, str(tmp_path / "cleanup"), ZONE)


@sqlite_only
def test_sqlite_keeps_one_plain_table(db: Database, bank: Bank, tmp_path: Path) -> None:
    _emit(db, bank.unit("OUT-A"), "2024-05-10 02:00")
    assert not retention.is_partitioned(db)
    assert retention.prepare_months(db, _at("2024-05-20 08:00")) == []
    assert retention.archive_before(db, JULY, str(tmp_path), ZONE) == []
    assert _count(db, "lobby_events") == 1
    env = {"MANYI_DATABASE_URL": db.url, "MANYI_ANALYTICS_ROOT": str(tmp_path)}
    result = CliRunner().invoke(app, ["cockpit", "archive", "--before", "2024-06"], env=env)
    assert result.exit_code == 1
    assert "not partitioned on this database" in result.output


@sqlite_only
def test_archive_refuses_a_month_that_is_not_one(db: Database) -> None:
    result = CliRunner().invoke(
        app, ["cockpit", "archive", "--before", "2024-13"], env={"MANYI_DATABASE_URL": db.url}
    )
    assert result.exit_code == 2
    assert "--before: '2024-13' is not a month (use YYYY-MM" in result.output
