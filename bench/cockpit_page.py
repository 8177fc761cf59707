"""The head-office cockpit page at national scale (issue 21): 16,000 outlets × 2 years of daily
roll-ups on PostgreSQL, the page requested through the app; p50 and p95 of its response time.

Loads a scratch database `bench_scale` (dropped and created; migrated; the demo bank's units and
staff): 36 tier-1 branches × 12 tier-2 branches under the demo head office, `--outlets` outlets
spread over them (their profiles through COPY), and `--days` days of `cockpit_daily` to
yesterday generated in the database from those profiles (closed on Sundays; a weekly pattern;
waits in three histogram buckets consistent with the sums). The levels above the outlet, the
default window, the recent days and the outlets' months are then built by the pass's own code
(`cockpit.summaries.rebuild`, the INSERT … SELECT the pass runs). Then signs in as the demo's
head-office administrator and requests `/cockpit` (the default page: the 28 days to yesterday)
`--requests` times, and `/cockpit` over the last 12 months; `--before` reads as the code did
before the levels (every figure summed from `cockpit_daily`).

    PYTHONPATH=src .venv/bin/python bench/cockpit_page.py [--outlets 16000] [--days 730]
        [--requests 30] [--reuse] [--before]

`main_figures()` returns the JSON figures (`cockpit_p95_ms`) for `bench/cockpit.py` to print.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import time
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from manyi import demo
from manyi.cockpit import level_queries, summaries
from manyi.cockpit.build import local_day
from manyi.cockpit.tables import CockpitRollupState
from manyi.config import load_settings
from manyi.db import Database, upgrade, utcnow
from manyi.org.tables import Unit
from manyi.web.app import create_app

TIER1, TIER2 = 36, 12
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BUCKETS = 21
# Waits fall in three buckets: 4–5 min (w04), 12–15 min (w11), 25–30 min (w14); the sums use
# each bucket's middle, so the mean, the histogram and "within 15 minutes" agree.
DAILY = """
INSERT INTO cockpit_daily (outlet_id, day, unit_path, tier1_id, tier2_id, issued, served,
  no_shows, cancellations, transfers, wait_sum_s, wait_n, wait_within, service_sum_s, service_n,
  {buckets}, wait_mean_s, wait_p90_s, service_level, abandonment, service_mean_s,
  counter_open_s, busy_s, utilisation, complaints, complaint_rate)
SELECT outlet_id, day, unit_path, tier1_id, tier2_id, issued, served, no_shows, cancellations,
  0, fast * 270 + mid * 810 + slow * 1650, served, fast + mid, served * 420, served,
  {values}, (fast * 270 + mid * 810 + slow * 1650)::float8 / served,
  CASE WHEN slow * 10 >= served THEN 1650 WHEN (slow + mid) * 10 >= served THEN 810 ELSE 270 END,
  (fast + mid)::float8 / served, (no_shows + cancellations)::float8 / issued, 420,
  counters * 8 * 3600, served * 420, served * 420.0 / (counters * 8 * 3600), complaints,
  complaints * 10000.0 / served
FROM (
  SELECT o.outlet_id, d::date AS day, o.unit_path, o.tier1_id, o.tier2_id, o.counters,
    s.issued, s.no_shows, s.cancellations, s.issued - s.no_shows - s.cancellations AS served,
    s.fast, s.mid, s.issued - s.no_shows - s.cancellations - s.fast - s.mid AS slow,
    s.complaints
  FROM bench_outlets o
  CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
  CROSS JOIN LATERAL (
    SELECT issued, no_shows, cancellations, fast, mid, complaints FROM (
      SELECT v.issued, v.issued / 25 AS no_shows, v.issued / 40 AS cancellations,
        ((v.issued - v.issued / 25 - v.issued / 40) * (1 - o.slowness * v.jitter))::int AS fast,
        ((v.issued - v.issued / 25 - v.issued / 40) * o.slowness * v.jitter * 0.6)::int AS mid,
        (random() < 0.02)::int AS complaints
      FROM (SELECT (o.base * CASE extract(isodow FROM d) WHEN 1 THEN 1.25 WHEN 6 THEN 0.7
                    ELSE 1.0 END * (0.8 + random() * 0.4))::int AS issued,
                   0.6 + random() * 0.8 AS jitter) v
    ) x
  ) s
  WHERE extract(isodow FROM d) <> 7
) r
"""


def scratch(url: str) -> str:
    """The psycopg URL of a fresh `bench_scale` on the server of `url`."""
    base = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_scale WITH (FORCE)")
        conn.execute("CREATE DATABASE bench_scale")
    return base.rsplit("/", 1)[0] + "/bench_scale"


def load(pg: str, outlets: int, days: int, last: dt.date, tz: str) -> float:
    """Migrate, seed the demo bank, add the branches and outlets and their roll-ups; seconds."""
    began = time.perf_counter()
    url = pg.replace("postgresql://", "postgresql+psycopg://")
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        demo.seed(session)
        head = session.query(Unit).filter(Unit.code == "HO").one()
        head_id, head_path = head.id, head.path
    with psycopg.connect(pg, autocommit=True) as conn:
        start = int(conn.execute("SELECT max(id) FROM units").fetchone()[0]) + 1  # type: ignore[index]
        rows, profiles, next_id = [], [], start
        tier2s: list[tuple[int, str, int]] = []
        for i in range(TIER1):
            t1, next_id = next_id, next_id + 1
            p1 = f"{head_path}{t1}/"
            rows.append((t1, f"S1-{i:02d}", head_id, "tier1_branch", p1, f"分行{i}", f"Branch {i}"))
            for j in range(TIER2):
                t2, next_id = next_id, next_id + 1
                p2 = f"{p1}{t2}/"
                rows.append((t2, f"S2-{i:02d}{j:02d}", t1, "tier2_branch", p2, f"支行{i}-{j}",
                             f"Sub-branch {i}-{j}"))  # fmt: skip
                tier2s.append((t2, p2, t1))
        for k in range(outlets):
            o, next_id = next_id, next_id + 1
            t2, p2, t1 = tier2s[k % len(tier2s)]
            rows.append((o, f"S3-{k:05d}", t2, "outlet", f"{p2}{o}/", f"网点{k}", f"Outlet {k}"))
            slowness = 0.15 + 0.5 * ((k * 7919) % 1000) / 1000  # some outlets slow
            profiles.append((o, f"{p2}{o}/", t1, t2, 150 + (k * 31) % 350, slowness, 2 + k % 5))
        now = utcnow().isoformat()
        with conn.cursor() as cur:
            with cur.copy(
                "COPY units (id, code, parent_id, level, path, name_zh, name_en, timezone,"
                " address, customers_served, active, created_at, updated_at) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row((*row, tz, "", 0, True, now, now))
            cur.execute("SELECT setval('units_id_seq', %s)", (next_id,))
            cur.execute(
                "CREATE UNLOGGED TABLE bench_outlets (outlet_id int, unit_path text, tier1_id int,"
                " tier2_id int, base int, slowness float8, counters int)"
            )
            with cur.copy("COPY bench_outlets FROM STDIN") as copy:
                for profile in profiles:
                    copy.write_row(profile)
            cur.execute("ALTER TABLE cockpit_daily SET UNLOGGED")  # a scratch database
            cur.execute("SELECT setseed(0.21)")
            buckets = ", ".join(f"w{i:02d}" for i in range(BUCKETS))
            values = ", ".join(
                {4: "fast", 11: "mid", 14: "slow"}.get(i, "0") for i in range(BUCKETS)
            )
            first = last - dt.timedelta(days=days - 1)
            cur.execute(
                DAILY.format(buckets=buckets, values=values), {"first": first, "last": last}
            )  # type: ignore[arg-type]
            print(f"  cockpit_daily: {cur.rowcount:,} rows in {time.perf_counter() - began:.0f} s")
            cur.execute("VACUUM ANALYZE cockpit_daily")
    with db.session() as session:
        session.add(CockpitRollupState(id=1, tz=tz, target_s=900, settled_day=last,
                                       lobby_events=0, ratings=0, complaints=0, surveys=0,
                                       bundles=0, appointments=0))  # fmt: skip
        session.flush()
        levels_began = time.perf_counter()
        summaries.rebuild(session, last)
    print(f"  levels, window, recent days: {time.perf_counter() - levels_began:.0f} s")
    with psycopg.connect(pg, autocommit=True) as conn:
        for table in ("cockpit_unit_daily", "cockpit_outlet_window", "cockpit_outlet_recent",
                      "cockpit_outlet_monthly"):  # fmt: skip
            conn.execute(f"VACUUM ANALYZE {table}")
    db.dispose()
    return time.perf_counter() - began


def signed_in(db: Database) -> TestClient:
    settings = load_settings(database_url=db.url, secret_key="bench-secret-key-" + "x" * 32)
    client = TestClient(create_app(settings, db), follow_redirects=False)
    token = CSRF.search(client.get("/signin").text)
    assert token is not None
    done = client.post(
        "/signin",
        data={"username": "admin", "password": demo.DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    assert done.status_code == 303, done.text
    return client


def timed(client: TestClient, path: str, n: int) -> list[float]:
    for _ in range(2):  # warm: the first requests compile templates, fill pools
        assert client.get(path).status_code == 200
    times = []
    for _ in range(n):
        began = time.perf_counter()
        page = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert page.status_code == 200, page.text[:500]
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def before_levels() -> None:
    """Read as before this change: every figure summed from `cockpit_daily`."""
    level_queries.has_rows = lambda unit: False  # type: ignore[assignment]
    level_queries.furthest_figures = lambda *a: None  # type: ignore[assignment]
    level_queries.recent_days = lambda *a: None  # type: ignore[assignment]


def main_figures(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outlets", type=int, default=16_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Keep the loaded bench_scale.")
    parser.add_argument("--before", action="store_true", help="Read without the levels.")
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    tz = load_settings().timezone
    last = local_day(utcnow(), tz) - dt.timedelta(days=1)  # the page's default: to yesterday
    pg = args.pg.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    pg += "/bench_scale"
    if not args.reuse:
        scratch(args.pg)
        print(f"loading {args.outlets:,} outlets × {args.days} days into bench_scale …")
        print(f"  loaded in {load(pg, args.outlets, args.days, last, tz):.0f} s")
    if args.before:
        before_levels()
    db = Database(pg.replace("postgresql://", "postgresql+psycopg://"))
    try:
        client = signed_in(db)
        default = timed(client, "/cockpit", args.requests)
        year = f"/cockpit?from={last - dt.timedelta(days=364)}&to={last}"
        twelve = timed(client, year, max(5, args.requests // 3))
    finally:
        db.dispose()
    label = "before the levels" if args.before else "with the levels"
    print(f"head-office /cockpit over {args.outlets:,} outlets × {args.days} days ({label}):")
    for name, times in (("default page (28 days)", default), ("12 months", twelve)):
        print(
            f"  {name:<24} p50 {statistics.median(times):7.0f} ms   p95 {p95(times):7.0f} ms"
            f"   ({len(times)} requests)"
        )
    return {
        "cockpit_p50_ms": round(statistics.median(default)),
        "cockpit_p95_ms": round(p95(default)),
        "cockpit_year_p95_ms": round(p95(twelve)),
    }


if __name__ == "__main__":
    print(json.dumps(main_figures()))
