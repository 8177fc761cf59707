"""The head-office cockpit at national scale (issue 21), first part: the daily roll-up of a
synthetic national history by DuckDB over Parquet, Spark (local mode) over the same Parquet,
and PostgreSQL over the same events loaded into a table with COPY.

All three run the roll-up of `manyi.analytics.rollup_sql` (daily, per outlet), the very text;
PostgreSQL's table is the relation `events_whole` (a primary key on the id, so no de-dup, as
for the generator's files: one a partition), holds every column the files hold (the `data`
payload as `json`, as in `lobby_events`), and reads `DOUBLE PRECISION` for `DOUBLE`. The
answers are compared row for row.

Then, unless `--no-page`, the head-office cockpit page over 16,000 outlets x 2 years of daily
roll-ups (bench/cockpit_page.py: `cockpit_p95_ms`), and unless `--no-stream`, NATS JetStream
publish and consume beside PostgreSQL NOTIFY on the same load (bench/stream.py).

Goal: DuckDB at least 10x PostgreSQL. Prints seconds side by side; the last line is one JSON
object (`duckdb_s`, `spark_s`, `postgres_s`, `duckdb_vs_postgres` = postgres_s / duckdb_s,
`cockpit_p95_ms`, `jetstream_events_per_s`, `notify_events_per_s`, ...).

    PYTHONPATH=src .venv/bin/python bench/cockpit.py [--events 2000000] [--pg URL] [--keep DIR]
        [--database bench_analytics] [--no-page] [--no-stream] [--nats URL]

`--events` is reached with one ordinary Tuesday of as many outlets as it takes (about 1,300
events an outlet); 20 million is the issue's figure (some 15,400 outlets). The PostgreSQL side
uses a scratch database (`--database`, created when missing; the table is replaced). With
`--keep DIR` the store is kept, and a later run with the same `--keep` and `--events` reads it
again instead of generating it, and keeps PostgreSQL's table when it holds as many rows (a
run at 20 million spends most of its time generating and loading, not rolling up). The machine
is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import time
import zoneinfo
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from manyi.analytics.engines import RollupQuery, duckdb_rollup, local_spark, spark_rollup
from manyi.analytics.generate import generate
from manyi.analytics.layout import SCHEMA, parquet_files
from manyi.workdays.domain.calendar import ChinaCalendar

EVENTS_PER_OUTLET = 1_300  # an ordinary weekday in the generator: ~340 tickets, ~3.85 events each
DAY = dt.date(2026, 11, 17)  # a Tuesday, not a pension day
COLUMNS = tuple(SCHEMA.names)  # the same events: every column the Parquet files have
TABLE = """
CREATE UNLOGGED TABLE events_whole (
  id text PRIMARY KEY, source text NOT NULL, kind text NOT NULL, at timestamptz NOT NULL,
  day date NOT NULL, hour integer NOT NULL, outlet_id bigint, tier1_id bigint,
  ticket_id bigint, counter_id bigint, staff_id bigint, service_code text, klass text,
  wait_s integer, service_s integer, outcome text, data json NOT NULL
)
"""


def scratch_database(url: str, name: str) -> str:
    """The URL of the database `name` on the server of `url`, created when missing."""
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"--database: {name!r} is not a plain name")
    base = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


def stored_rows(root: str) -> int:
    """The events in the store's files, counted from their footers."""
    return sum(pq.read_metadata(path).num_rows for path in parquet_files(root))


def load_postgres(url: str, root: str, scratch: Path) -> float | None:
    """Copy the store's events into `events_whole` (CSV through COPY); returns seconds, or None
    when the table already holds as many rows as the store (a kept store read again)."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('events_whole')").fetchone() != (None,):
            held = conn.execute("SELECT count(*) FROM events_whole").fetchone()
            if held is not None and held[0] == stored_rows(root):
                return None
    began = time.perf_counter()
    table = ds.dataset(root, format="parquet").to_table(columns=list(COLUMNS))
    csv_path = scratch / "events.csv"
    pacsv.write_csv(table, csv_path, pacsv.WriteOptions(include_header=False))
    del table
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS events_whole")
        conn.execute(TABLE)
        with (
            conn.cursor() as cur,
            cur.copy(
                f"COPY events_whole ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy,
            csv_path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        conn.execute("VACUUM ANALYZE events_whole")
    csv_path.unlink()
    return time.perf_counter() - began


def postgres_rollup(url: str, query: RollupQuery) -> list[tuple]:
    # The table has a primary key on the id: it is "whole", read without the de-dup.
    sql = query.sql(("events_whole",)).replace(" AS DOUBLE)", " AS DOUBLE PRECISION)")
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def best_of(repeat: int, fn, *args):  # type: ignore[no-untyped-def]
    """The answer and the fastest of `repeat` runs (the machine is shared: the best run is the
    one least disturbed; every engine gets the same number of runs)."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - began)
    return result, min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="Write the store here and keep it (or reuse it)."
    )
    parser.add_argument(
        "--database", default="bench_analytics", help="PostgreSQL scratch database."
    )
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="Runs per engine; the best counts.")
    parser.add_argument(
        "--page",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="The head-office page over 16,000 outlets x 2 years (bench/cockpit_page.py).",
    )
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="JetStream publish and consume beside PostgreSQL NOTIFY (bench/stream.py).",
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="manyi-cockpit-"))
    root = str(args.keep or scratch / "store")
    outlets = max(1, round(args.events / EVENTS_PER_OUTLET))
    try:
        if args.keep and args.keep.joinpath(f".events-{outlets}").exists():
            events = stored_rows(root)
            print(f"reusing the store at {root}: {events:,} events ({outlets:,} outlets)")
            generated_per_s = None
        else:
            made = generate(
                root, outlets=outlets, days=1, start=DAY, calendar=ChinaCalendar(),
                zone=zoneinfo.ZoneInfo("Asia/Shanghai"), seed=1,
            )  # fmt: skip
            print(
                f"generated {made.events:,} events ({made.tickets:,} tickets, {outlets:,} outlets)"
                f" in {made.seconds:.1f} s: {made.events_per_s:,.0f} events/s"
            )
            events, generated_per_s = made.events, round(made.events_per_s)
            if args.keep:
                args.keep.joinpath(f".events-{outlets}").touch()
        loads = [os.getloadavg()[0]]
        query = RollupQuery(grain="day", target_s=600)
        by_duckdb, duckdb_s = best_of(args.repeat, duckdb_rollup, root, query)
        loads.append(os.getloadavg()[0])
        url = scratch_database(args.pg, args.database)
        load_s = load_postgres(url, root, scratch)
        by_postgres, postgres_s = best_of(args.repeat, postgres_rollup, url, query)
        loads.append(os.getloadavg()[0])
        spark_started = time.perf_counter()
        with local_spark(cores=args.spark_cores, app="manyi-bench") as spark:
            start_s = time.perf_counter() - spark_started
            by_spark, spark_s = best_of(args.repeat, spark_rollup, spark, root, query)
        loads.append(os.getloadavg()[0])
        same = by_duckdb == by_spark and _close(by_duckdb, by_postgres)
        print(
            f"daily roll-up of {events:,} events, {len(by_duckdb):,} outlet-days"
            f" (best of {args.repeat}; load average {', '.join(f'{x:.1f}' for x in loads)}"
            " before DuckDB, PostgreSQL, Spark and after):"
        )
        print(f"  {'DuckDB over Parquet':<30} {duckdb_s:8.2f} s")
        print(
            f"  {'Spark local over Parquet':<30} {spark_s:8.2f} s   (session start {start_s:.1f} s)"
        )
        loaded = "table kept" if load_s is None else f"COPY load {load_s:.1f} s"
        print(f"  {'PostgreSQL GROUP BY':<30} {postgres_s:8.2f} s   ({loaded})")
        print(f"  same answers from all three: {same}")
        page: dict[str, object] = {}
        if args.page:  # 16,000 outlets × 730 days in bench_scale: some ten minutes to load
            from cockpit_page import main_figures  # bench/ is the script's directory

            page = main_figures([])
        stream: dict[str, object] = {}
        if args.stream:  # the same load on both paths (bench/stream.py)
            from stream import figures as stream_figures

            stream_url = scratch_database(args.pg, "bench_stream")
            stream = stream_figures(
                stream_url.replace("postgresql://", "postgresql+psycopg://", 1),
                args.nats, 20_000, 50, 1000.0,
            )  # fmt: skip
        print(
            json.dumps(
                {
                    **page,
                    **stream,
                    "events": events,
                    "generate_events_per_s": generated_per_s,
                    "duckdb_s": round(duckdb_s, 3),
                    "spark_s": round(spark_s, 3),
                    "postgres_s": round(postgres_s, 3),
                    "duckdb_vs_postgres": round(postgres_s / duckdb_s, 2),
                    "same_answers": same,
                    "load_average": [round(x, 2) for x in loads],
                }
            )
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _close(a: list[tuple], b: list[tuple]) -> bool:
    """Equal rows; PostgreSQL's sums are numerics, its means the same doubles."""
    if len(a) != len(b):
        return False
    for left, right in zip(a, b, strict=True):
        for x, y in zip(left, right, strict=True):
            if x != y and not (isinstance(x, float) and abs(x - float(y)) < 1e-9 * max(1, abs(x))):
                return False
    return True


if __name__ == "__main__":
    pa.set_cpu_count(os.cpu_count() or 1)
    main()
