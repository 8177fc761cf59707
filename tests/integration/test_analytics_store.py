"""The analytics store: envelopes landed as Parquet (idempotent by id), read by DuckDB with the
one roll-up definition, checked against a count made envelope by envelope; the generator."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from manyi.analytics.compaction import compact
from manyi.analytics.engines import RollupQuery, duckdb_rollup, split_files
from manyi.analytics.generate import generate
from manyi.analytics.lander import EnvelopeError, land
from manyi.analytics.layout import parquet_files
from manyi.analytics.rollup_sql import columns, rollup_sql
from manyi.analytics.synthetic import day_factor
from manyi.cli import app
from manyi.workdays.domain.calendar import ChinaCalendar
from tests.analytics_helpers import reference_daily, ticket_envelopes

ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 11, 30)


def _as_dicts(rows: list[tuple], grain: str = "day") -> dict[tuple, dict]:
    names = columns(grain)
    keys = len(names) - 12
    return {row[:keys]: dict(zip(names[keys:], row[keys:], strict=True)) for row in rows}


def test_daily_rollup_matches_a_count_made_envelope_by_envelope(tmp_path: Path) -> None:
    envelopes = ticket_envelopes(seed=3, tickets=400, day=DAY)
    land(envelopes, str(tmp_path), ZONE)
    got = _as_dicts(duckdb_rollup(str(tmp_path), RollupQuery(target_s=600)))
    expected = reference_daily(envelopes, 600)
    assert set(got) == set(expected)
    for key, measures in expected.items():
        for name, value in measures.items():
            assert got[key][name] == pytest.approx(value), (key, name)
    assert sum(m["tickets"] for m in got.values()) == 400


def test_a_batch_landed_twice_or_overlapping_batches_count_each_event_once(
    tmp_path: Path,
) -> None:
    envelopes = ticket_envelopes(seed=5, tickets=200, day=DAY)
    once = tmp_path / "once"
    land(envelopes, str(once), ZONE)
    again = tmp_path / "again"
    first = land(envelopes[:500], str(again), ZONE)
    assert land(envelopes[:500], str(again), ZONE).files == first.files  # same files replaced
    land(envelopes[300:], str(again), ZONE)  # overlaps the first batch by 200 events
    land(envelopes[250:350], str(again), ZONE)
    assert len(parquet_files(str(again))) > len(parquet_files(str(once)))
    grains = [RollupQuery(grain=g, target_s=300) for g in ("day", "hour", "day_service")]
    expected = [duckdb_rollup(str(once), query) for query in grains]
    assert [duckdb_rollup(str(again), query) for query in grains] == expected
    # Compacted: one file a partition, each id once, read without the de-dup; same answers.
    assert compact(str(again), before=DAY) == 0  # the day is not over
    assert compact(str(again), before=DAY + dt.timedelta(days=1)) == 2
    assert len(parquet_files(str(again))) == len(parquet_files(str(once)))
    assert split_files(str(again)).keys() == {"events_whole"}
    assert [duckdb_rollup(str(again), query) for query in grains] == expected
    rows = sum(pq.read_metadata(p).num_rows for p in parquet_files(str(again)))
    assert rows == len(envelopes)


def test_an_event_near_midnight_belongs_to_the_local_day(tmp_path: Path) -> None:
    late = {
        "id": "lobby:1",
        "source": "lobby",
        "kind": "issued",
        "at": "2026-11-29T23:30:00Z",  # 07:30 on the 30th in Beijing
        "outlet_id": 11,
        "tier1_id": None,
        "ticket_id": 1,
        "data": {"service_code": "A", "klass": "normal"},
    }
    (path,) = land([late], str(tmp_path), ZONE).files
    assert "/date=2026-11-30/tier1=0/" in path
    row = pq.read_table(path).to_pylist()[0]
    assert (row["day"], row["hour"], row["service_code"]) == (DAY, 7, "A")
    (rollup,) = duckdb_rollup(str(tmp_path), RollupQuery())
    assert rollup[:4] == (11, 0, DAY, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": "2026-11-30 10:00"}, "envelope 2: field 'at' must be UTC ending in Z"),
        ({"at": "2026-13-30T10:00:00Z"}, "field 'at': not an ISO-8601 UTC instant"),
        ({"source": "teller"}, "envelope 2: field 'source' must be one of"),
        ({"outlet_id": "11"}, "envelope 2: field 'outlet_id' must be an integer or null"),
        ({"id": ""}, "envelope 2: field 'id' must be a non-empty string"),
        ({"data": {"wait_s": "long"}}, "envelope 2: field 'data.wait_s' must be a number"),
    ],
)
def test_a_bad_envelope_is_named_and_nothing_of_its_batch_is_written(
    tmp_path: Path, change: dict, message: str
) -> None:
    good = ticket_envelopes(seed=1, tickets=2, day=DAY)
    batch = [good[0], {**good[1], **change}, *good[2:]]
    with pytest.raises(EnvelopeError, match=message.replace("(", r"\(")):
        land(batch, str(tmp_path), ZONE)
    assert parquet_files(str(tmp_path)) == []


def test_the_rollup_refuses_an_unknown_grain_or_a_bad_target() -> None:
    with pytest.raises(ValueError, match="unknown grain 'week'"):
        rollup_sql("week", 600)
    with pytest.raises(ValueError, match="whole number of seconds"):
        rollup_sql("day", -1)
    with pytest.raises(ValueError):
        rollup_sql("day", 600, day_from="2026-11-31")


def test_a_day_range_keeps_only_its_days(tmp_path: Path) -> None:
    for offset in range(3):
        land(ticket_envelopes(offset, 30, DAY + dt.timedelta(days=offset)), str(tmp_path), ZONE)
    query = RollupQuery(day_from=DAY + dt.timedelta(days=1), day_to=DAY + dt.timedelta(days=2))
    assert {row[2] for row in duckdb_rollup(str(tmp_path), query)} == {DAY + dt.timedelta(1)}
    assert duckdb_rollup(str(tmp_path / "empty"), RollupQuery()) == []


def test_the_calendar_shapes_the_day() -> None:
    cal = ChinaCalendar()
    tuesday, monday = dt.date(2026, 11, 17), dt.date(2026, 11, 16)
    assert day_factor(tuesday, cal) == (1.0, False)
    assert day_factor(monday, cal)[0] > 1.0
    assert day_factor(dt.date(2026, 11, 10), cal)[0] > 1.0  # a pension day (a Tuesday)
    assert day_factor(dt.date(2026, 11, 21), cal) == (0.5, False)  # Saturday
    assert day_factor(dt.date(2026, 10, 1), cal) == (0.3, True)  # National Day


def test_generate_writes_a_deterministic_history_with_its_patterns(tmp_path: Path) -> None:
    zone = zoneinfo.ZoneInfo(ZONE)
    args = {"outlets": 60, "days": 10, "start": dt.date(2026, 9, 28), "seed": 7}
    done = generate(str(tmp_path / "a"), calendar=ChinaCalendar(), zone=zone, **args)
    generate(str(tmp_path / "b"), calendar=ChinaCalendar(), zone=zone, **args)
    assert done.events > 10_000 and done.events_per_s > 0
    daily = duckdb_rollup(str(tmp_path / "a"), RollupQuery())
    assert daily == duckdb_rollup(str(tmp_path / "b"), RollupQuery())
    tickets: dict[dt.date, int] = {}
    for row in daily:
        tickets[row[2]] = tickets.get(row[2], 0) + row[3]
    assert sum(tickets.values()) == done.tickets
    # 2026-09-28 (Monday) and 09-29/30 are ordinary working days; 10-01 to 10-07 National Day.
    assert tickets[dt.date(2026, 9, 28)] > tickets[dt.date(2026, 9, 30)]
    assert (
        max(tickets[dt.date(2026, 10, d)] for d in range(1, 8)) < tickets[dt.date(2026, 9, 30)] / 2
    )
    assert len({row[0] for row in daily if row[2] == dt.date(2026, 10, 2)}) < 40  # most closed
    names = {Path(p).name for p in parquet_files(str(tmp_path / "a"))}
    assert names == {"gen-7.parquet"}


def test_the_generate_command_writes_and_says_how_fast(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["cockpit", "generate", "--outlets", "5", "--days", "2", "--to", str(tmp_path)]
    result = runner.invoke(app, [*args, "--start", "2026-11-16", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "events/s" in result.output
    days = {row[2] for row in duckdb_rollup(str(tmp_path), RollupQuery())}
    assert days == {dt.date(2026, 11, 16), dt.date(2026, 11, 17)}
    bad = runner.invoke(app, [*args, "--start", "16/11/2026"])
    assert bad.exit_code == 2
    assert "--start: '16/11/2026' is not a date (YYYY-MM-DD)" in bad.output
