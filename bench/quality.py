"""Satisfaction reports at bank scale: 10 million responses, 16,000 outlets, two years.

Prepares a scratch PostgreSQL database (MANYI_BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench; its public schema is DROPPED and
recreated), migrates it and builds an organisation tree: head office -> 37 tier-1 branches ->
10 tier-2 branches each -> 16,000 outlets (about 43 per tier-2). Responses are generated in SQL
(generate_series, secondary indexes dropped while loading and rebuilt after, like a bulk
restore): an outlet drawn at random, a time uniform over the two years before the last day,
CSAT skewed to 4-5, NPS and CES, each sometimes missing.

Then it times, each the median of --runs runs (raw queries once, they are the slow reference):
- "tier-1 by month": `reports.report(By.MONTH)` over one tier-1 branch's subtree (goal <= 1 s);
- "head office by month": `reports.report(By.MONTH)` over the whole bank (goal <= 2 s);
- "head office by tier-1": `reports.total` for each of the 37 tier-1 subtrees (goal <= 2 s);
first on the raw rows (before any roll-up), then after the worker's roll-up pass (build time
printed), and checks that both give exactly the same aggregates. Last, it adds a day of new
responses and a late import of old dates, times the worker's incremental pass and checks the
reports again against the raw rows.

    PYTHONPATH=src .venv/bin/python bench/quality.py [--responses 10000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url, text

from manyi.db import Database, upgrade
from manyi.quality import reports, rollups
from manyi.quality.domain.aggregate import Aggregate

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
TZ = "Asia/Shanghai"
LAST_DAY = dt.date(2026, 11, 30)  # the data covers the two years up to this local day
GOAL_TIER1_S, GOAL_HEAD_S = 1.0, 2.0
CHUNK = 1_000_000
INDEXES = (
    "CREATE INDEX ix_quality_responses_outlet_answered"
    " ON quality_responses (outlet_id, answered_at)",
    "CREATE INDEX ix_quality_responses_path_answered"
    " ON quality_responses (unit_path text_pattern_ops, answered_at)",
    "CREATE INDEX ix_quality_responses_teller_answered"
    " ON quality_responses (teller_staff_id, answered_at)",
    "CREATE INDEX ix_quality_responses_answered ON quality_responses (answered_at)",
    "ALTER TABLE quality_responses ADD CONSTRAINT uq_quality_responses_source_external_id"
    " UNIQUE (source, external_id)",
)
DROPS = (
    "DROP INDEX ix_quality_responses_outlet_answered",
    "DROP INDEX ix_quality_responses_path_answered",
    "DROP INDEX ix_quality_responses_teller_answered",
    "DROP INDEX ix_quality_responses_answered",
    "ALTER TABLE quality_responses DROP CONSTRAINT uq_quality_responses_source_external_id",
)
RESPONSES_SQL = """
INSERT INTO quality_responses (id, source, external_id, outlet_id, unit_path, teller_staff_id,
    service, channel, trigger, answered_at, csat, nps, ces, comment, imported_batch)
SELECT s.g, :source, :prefix || s.g, o.id, o.path, NULL,
    (ARRAY['A01', 'A02', 'B01', 'C01', 'V01'])[1 + s.g % 5],
    (ARRAY['counter', 'lobby', 'phone'])[1 + s.g % 3],
    (ARRAY['ticket', 'bundle', 'complaint'])[1 + s.g % 3],
    :first + s.t * :span,
    CASE WHEN s.a < 0.08 THEN NULL ELSE (ARRAY[1, 2, 3, 4, 4, 5, 5, 5, 5, 5])[1 + floor(s.b * 10)::int] END,
    CASE WHEN s.a BETWEEN 0.08 AND 0.3 THEN NULL
         ELSE (ARRAY[0, 3, 5, 6, 7, 8, 8, 9, 9, 10, 10, 10])[1 + floor(s.c * 12)::int] END,
    CASE WHEN s.a > 0.7 THEN NULL ELSE 1 + floor(s.d * 7)::int END,
    NULL, NULL
FROM (SELECT g, 1 + floor(random() * :outlets)::int AS n, random() AS t, random() AS a,
             random() AS b, random() AS c, random() AS d
      FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g) AS s
JOIN bench_outlets AS o ON o.n = s.n
"""  # noqa: E501


def fresh_url() -> str:
    url = os.environ.get("MANYI_BENCH_DATABASE_URL", "") or PG_DEFAULT
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    if not url.startswith("postgresql"):
        sys.exit("bench/quality.py needs PostgreSQL (MANYI_BENCH_DATABASE_URL)")
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"[postgresql] dropping and recreating schema public of {shown}", flush=True)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    return url


def build_tree(db: Database, tier1: int, tier2_each: int, outlets: int) -> None:
    """Head office (id 1) -> tier-1 (ids 2..) -> tier-2 -> outlets, paths of ids."""
    n2 = tier1 * tier2_each
    first2, first_outlet = 2 + tier1, 2 + tier1 + n2
    common = "'', 'Asia/Shanghai', '', 0, true, now(), now()"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO units (id, code, parent_id, level, path, name_zh, name_en, timezone,"  # noqa: S608 (constants)
                f" address, customers_served, active, created_at, updated_at) VALUES"
                f" (1, 'HO', NULL, 'head_office', '/1/', '总行', {common})"
            )
        )
        levels = (
            ("tier1_branch", "T1-", 2, tier1, "1", "总行"),
            ("tier2_branch", "T2-", first2, n2, f"2 + (g - {first2}) % {tier1}", "分行"),
            ("outlet", "O-", first_outlet, outlets, f"{first2} + (g - {first_outlet}) % {n2}", ""),
        )
        for level, prefix, first, count, parent, _ in levels:
            conn.execute(
                text(
                    "INSERT INTO units (id, code, parent_id, level, path, name_zh, name_en,"  # noqa: S608
                    " timezone, address, customers_served, active, created_at, updated_at)"
                    f" SELECT g, '{prefix}' || g, p.id, '{level}', p.path || g || '/',"
                    f" '{prefix}' || g, {common}"
                    f" FROM generate_series({first}, {first + count - 1}) AS g"
                    f" JOIN units AS p ON p.id = {parent}"
                )
            )
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('units', 'id'), max(id)) FROM units")
        )
        conn.execute(
            text(
                "CREATE TABLE bench_outlets AS SELECT row_number() OVER (ORDER BY id) AS n, id,"
                " path FROM units WHERE level = 'outlet'"
            )
        )
        conn.execute(text("CREATE UNIQUE INDEX ON bench_outlets (n)"))


def load_responses(db: Database, total: int, outlets: int) -> None:
    first = reports.local_day_start(LAST_DAY - dt.timedelta(days=729), TZ)
    span = reports.local_day_start(LAST_DAY + dt.timedelta(days=1), TZ) - first
    with db.engine.begin() as conn:
        for statement in DROPS:
            conn.execute(text(statement))
    for lo in range(1, total + 1, CHUNK):
        hi = min(total, lo + CHUNK - 1)
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK checks
            conn.execute(text("SELECT setseed(:s)"), {"s": (lo % 1000) / 1000})
            conn.execute(
                text(RESPONSES_SQL),
                {
                    "source": "import",
                    "prefix": "b",
                    "first": first,
                    "span": span,
                    "outlets": outlets,
                    "lo": lo,
                    "hi": hi,
                },
            )
        print(f"  {hi:,} responses", flush=True)
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for statement in INDEXES:
            conn.execute(text(statement))
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('quality_responses', 'id'), :n)"),
            {"n": total},
        )
    analyze(db)


def analyze(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def add_new(db: Database, outlets: int, new: int, late: int, start_id: int) -> None:
    """A day of new responses (the last day) and a late import of old dates."""
    day = reports.local_day_start(LAST_DAY, TZ)
    old = reports.local_day_start(LAST_DAY - dt.timedelta(days=400), TZ)
    batches = ((new, day, dt.timedelta(days=1)), (late, old, dt.timedelta(days=30)))
    lo = start_id
    for count, first, span in batches:
        with db.engine.begin() as conn:
            conn.execute(
                text(RESPONSES_SQL),
                {
                    "source": "survey",
                    "prefix": "n",
                    "first": first,
                    "span": span,
                    "outlets": outlets,
                    "lo": lo,
                    "hi": lo + count - 1,
                },
            )
        lo += count
    with db.engine.begin() as conn:
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('quality_responses', 'id'), :n)"),
            {"n": lo - 1},
        )


Result = Any


def timed(action: Callable[[], Result], runs: int) -> tuple[float, Result]:
    times, found = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        found = action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), found


def queries(
    db: Database, tier1_path: str, tier1_paths: list[str]
) -> dict[str, Callable[[], Result]]:
    def tier1_by_month() -> Result:
        with db.read() as session:
            return _plain(reports.report(session, reports.By.MONTH, tz=TZ, scope_path=tier1_path))

    def bank_by_month() -> Result:
        with db.read() as session:
            return _plain(reports.report(session, reports.By.MONTH, tz=TZ, scope_path="/"))

    def by_tier1() -> Result:
        with db.read() as session:
            return _plain(reports.by_child(session, tz=TZ, scope_path="/1/"))

    return {
        "tier-1 by month": tier1_by_month,
        "head office by month": bank_by_month,
        "head office by tier-1": by_tier1,
    }


GOALS = {
    "tier-1 by month": GOAL_TIER1_S,
    "head office by month": GOAL_HEAD_S,
    "head office by tier-1": GOAL_HEAD_S,
}


def _plain(rows: list[reports.ReportRow]) -> list[tuple[str | None, Aggregate]]:
    return [(r.key, r.aggregate) for r in rows]


def raw_rows(db: Database) -> Any:
    """Run `action` with the roll-ups switched off (their zone made another): the raw query."""

    class Raw:
        def __enter__(self) -> None:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE quality_rollup_state SET tz = 'raw'"))

        def __exit__(self, *exc: object) -> None:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE quality_rollup_state SET tz = :tz"), {"tz": TZ})

    return Raw()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--outlets", type=int, default=16_000)
    parser.add_argument("--tier1", type=int, default=37)
    parser.add_argument("--tier2-each", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the responses of the last run; rebuild roll-ups"
    )
    args = parser.parse_args()

    if args.reuse:
        url = os.environ.get("MANYI_BENCH_DATABASE_URL", "") or PG_DEFAULT
        db = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with db.engine.begin() as conn:
            for table in ("quality_monthly", "quality_rollup_dirty", "quality_rollup_state"):
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (constants)
            found = conn.execute(text("SELECT count(*) FROM quality_responses")).scalar_one()
        analyze(db)
        print(f"reusing {found:,} responses; roll-ups emptied")
    else:
        url = fresh_url()
        upgrade(url)
        db = Database(url)
        t0 = time.perf_counter()
        build_tree(db, args.tier1, args.tier2_each, args.outlets)
        load_responses(db, args.responses, args.outlets)
        load_s = time.perf_counter() - t0
        print(
            f"loaded {args.responses:,} responses over {args.outlets:,} outlets in {load_s:.0f} s"
        )
    with db.read() as session:
        tier1_paths = [reports.unit_path(session, f"T1-{2 + k}") or "" for k in range(args.tier1)]
    named = queries(db, tier1_paths[0], tier1_paths)

    print("raw rows (no roll-ups yet), one run each:")
    reference: dict[str, Result] = {}
    for name, action in named.items():
        seconds, reference[name] = timed(action, 1)
        print(f"  {name:24s} {seconds:7.3f} s")

    t0 = time.perf_counter()
    done = rollups.run_pass(db, TZ)
    build_s = time.perf_counter() - t0
    analyze(db)
    with db.engine.connect() as conn:
        rolled = conn.execute(text("SELECT count(*) FROM quality_monthly")).scalar_one()
    print(f"roll-up build: {build_s:.1f} s ({done.line()}; {rolled:,} roll-up rows)")

    ok = report_times(named, reference, args.runs)

    t0 = time.perf_counter()
    with db.engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM quality_responses")).scalar_one()
    add_new(db, args.outlets, 20_000, 5_000, top + 1)
    print(
        f"added 20,000 responses of the last day and 5,000 late ones of a month "
        f"400 days back in {time.perf_counter() - t0:.1f} s"
    )
    with raw_rows(db):
        after = {name: action() for name, action in named.items()}
    print("before the worker's pass (new rows read raw):")
    ok = report_times(named, after, args.runs) and ok
    t0 = time.perf_counter()
    done = rollups.run_pass(db, TZ)
    print(f"incremental roll-up pass: {time.perf_counter() - t0:.1f} s ({done.line()})")
    ok = report_times(named, after, args.runs) and ok
    print("all goals met and equal to the raw rows" if ok else "GOALS NOT MET or results differ")
    db.dispose()
    sys.exit(0 if ok else 1)


def report_times(
    named: dict[str, Callable[[], Result]], reference: dict[str, Result], runs: int
) -> bool:
    ok = True
    print(f"with roll-ups, median of {runs}:")
    for name, action in named.items():
        seconds, found = timed(action, runs)
        equal = found == reference[name]
        met = seconds <= GOALS[name]
        ok = ok and equal and met
        verdict = "met" if met else "NOT MET"
        print(
            f"  {name:24s} {seconds:7.3f} s  goal {GOALS[name]:.0f} s {verdict}; "
            f"equal to raw: {'yes' if equal else 'NO'}"
        )
    return ok


if __name__ == "__main__":
    main()
