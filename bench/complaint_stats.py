"""Complaint analysis over a million complaints on PostgreSQL (issue 19, "Speed").

Prints figures only. Builds a bank of 16,000 outlets (head office → 36 tier-1 branches → 400
tier-2 branches → outlets, each serving 2,000–20,000 customers) and --cases complaints spread
over three years (more in recent months, a few reopened, breached or with a verdict), bulk
loaded with COPY through psycopg, then times the two reports through the same service the
analysis page and `manyi complaints stats` use (`insight.analysis_report.build`):

- a tier-1 branch's monthly year-on-year report: twelve months, each against the same month a
  year earlier, the breakdown by business type and the league of its tier-2 branches (goal ≤ 1 s);
- the head-office roll-up: the same over the whole bank, the league of the 36 tier-1 branches
  (goal ≤ 2 s).

Each is run --runs times; the median and the fastest are printed.

Database: --database-url (default MANYI_BENCH_DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench). Its public schema is DROPPED and
recreated: point it at a scratch database. --keep reuses the data of the last run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from manyi.db import Database, upgrade
from manyi.insight import analysis_report
from manyi.insight.analysis import Dimension
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
TODAY = dt.date(2026, 11, 30)
ZONE = "Asia/Shanghai"
TIER1, TIER2, OUTLETS = 36, 400, 16_000
BUSINESS = ["savings", "loans", "cards", "payments", "wealth", "insurance_agency", "other"]
CAUSES = ["service_quality", "fees", "information", "contract", "system", "security", "other"]
CHANNELS = ["counter", "atm", "online", "mobile", "phone"]
ISSUES = ["waiting_time", "service_attitude", "fees", "card_account", "online_banking", None]
VERDICTS = ["upheld", "partly", "not_upheld", None, None]


def _units() -> list[tuple[int, str, int | None, str, str, int]]:
    """(id, code, parent, level, path, customers served): the head office first."""
    rng = random.Random(1)
    units: list[tuple[int, str, int | None, str, str, int]] = [
        (1, "HQ", None, "head_office", "/1/", 0)
    ]
    next_id = 2
    tier1 = []
    for k in range(TIER1):
        units.append((next_id, f"B{k:02d}", 1, "tier1_branch", f"/1/{next_id}/", 0))
        tier1.append(next_id)
        next_id += 1
    tier2 = []
    for k in range(TIER2):
        parent = tier1[k % TIER1]
        path = f"/1/{parent}/{next_id}/"
        units.append((next_id, f"S{k:03d}", parent, "tier2_branch", path, 0))
        tier2.append((next_id, path))
        next_id += 1
    for k in range(OUTLETS):
        parent, parent_path = tier2[k % TIER2]
        path = f"{parent_path}{next_id}/"
        units.append((next_id, f"O{k:05d}", parent, "outlet", path, rng.randint(2_000, 20_000)))
        next_id += 1
    return units


def seed(url: str, cases: int) -> None:
    units = _units()
    outlets = [(u[0], u[4]) for u in units if u[3] == "outlet"]
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).isoformat()
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY units (id, code, parent_id, level, path, name_zh, name_en, timezone, address,"
            " customers_served, active, created_at, updated_at) FROM STDIN"
        ) as copy:
            for uid, code, parent, level, path, served in units:
                row = (uid, code, parent, level, path, f"单位{code}", code, ZONE, "", served)
                copy.write_row((*row, True, now, now))
        cur.execute("SELECT setval('units_id_seq', (SELECT max(id) FROM units))")
        rng = random.Random(7)
        first = dt.datetime(2023, 12, 1, tzinfo=dt.UTC).timestamp()
        span = dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC).timestamp() - first
        columns = (
            "reference, source, intake, intake_ref, department, flags, subject, description,"
            " request, product, complainant_name, complainant_phone, complainant_id_number,"
            " complainant_email, complainant_address, registered_unit_id, responsible_unit_id,"
            " responsible_unit_path, received_at, registered_at, regulator_ref, state,"
            " policy_code, timezone, deadline_stage, clock_started_at, risk_notified,"
            " escalation_level, breached, reopen_count, decision, root_cause, rectification_ref,"
            " updated_at, business_code, cause_code, channel_code, issue_code, verdict"
        )
        with cur.copy(f"COPY complaints ({columns}) FROM STDIN") as copy:
            lines = []
            for i in range(cases):
                uid, path = outlets[int(rng.random() ** 1.3 * OUTLETS)]  # some outlets busier
                received = dt.datetime.fromtimestamp(
                    first + span * rng.random() ** 0.85, dt.UTC
                ).isoformat()
                issue = rng.choice(ISSUES)
                verdict = rng.choice(VERDICTS)
                lines.append(
                    "\t".join(
                        (
                            f"B{i:08d}\tbench\thotline\t\tretail\t[]\t排队时间过长\t\t\t借记卡",
                            "\t\t\t\t",
                            f"{uid}\t{uid}\t{path}\t{received}\t{received}\t\t"
                            f"{'closed' if verdict else 'registered'}\tcbirc-2020\t{ZONE}\t0",
                            f"{received}\t0\t0\t{'t' if rng.random() < 0.04 else 'f'}",
                            f"{1 if rng.random() < 0.03 else 0}\t\t\t\t{now}",
                            f"{rng.choice(BUSINESS)}\t{rng.choice(CAUSES)}\t{rng.choice(CHANNELS)}",
                            f"{issue or chr(92) + 'N'}\t{verdict or chr(92) + 'N'}",
                        )
                    )
                    + "\n"
                )
                if len(lines) == 10_000:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
    loaded = time.perf_counter() - started
    db = Database(url)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE units"))
        conn.execute(text("VACUUM ANALYZE complaints"))
    db.dispose()
    print(
        f"loaded {len(units):,} units and {cases:,} complaints with COPY in {loaded:.1f} s",
        flush=True,
    )


def _backend_cpu(session: Session) -> float:
    """CPU seconds the session's PostgreSQL backend has used (from /proc: same host only)."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(db: Database, scope: str, query: analysis_report.Query, runs: int) -> list[float]:
    """Wall times of `runs` reports; also prints the CPU time one report costs when run
    serially (no parallel workers): the database backend's plus Python's, which does not
    grow with the machine's load the way wall time does."""
    took, cpu = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with db.session() as session:
            report = analysis_report.build(session, scope, query, ZONE, "zh")
        took.append(time.perf_counter() - started)
        with db.session() as session:
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            before, before_py = _backend_cpu(session), time.process_time()
            analysis_report.build(session, scope, query, ZONE, "zh")
            cpu.append(_backend_cpu(session) - before + time.process_time() - before_py)
    print(
        f"  {report.total.count:,} complaints in the range, {len(report.league)} league rows, "
        f"{len(report.trend)} periods; serial CPU time (database + Python), median "
        f"{statistics.median(cpu):.3f} s"
    )
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("MANYI_BENCH_DATABASE_URL", PG_DEFAULT)
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the data of the last run")
    args = parser.parse_args()
    url = args.database_url
    if not args.keep:
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
        upgrade(url)
        seed(url, args.cases)
    db = Database(url)
    start = dt.date(2025, 12, 1)
    reports = [
        (
            "tier-1 branch B07, monthly, year on year",
            "/1/9/",
            analysis_report.Query(start, TODAY, PeriodKind.MONTH, Compare.YOY, Level.TIER2),
            1.0,
        ),
        (
            "head office roll-up to the tier-1 branches, year on year",
            "/1/",
            analysis_report.Query(start, TODAY, PeriodKind.MONTH, Compare.YOY, Level.TIER1),
            2.0,
        ),
        (
            "head office roll-up to the 16,000 outlets, year on year",
            "/1/",
            analysis_report.Query(
                start, TODAY, PeriodKind.MONTH, Compare.YOY, Level.OUTLET, Dimension.CAUSE
            ),
            2.0,
        ),
    ]
    for name, scope, query, goal in reports:
        print(f"{name}:")
        took = timed(db, scope, query, args.runs)
        print(
            f"  wall time: median {statistics.median(took):.3f} s, fastest {min(took):.3f} s "
            f"over {args.runs} runs (goal <= {goal:.0f} s); load average now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
    db.dispose()


if __name__ == "__main__":
    main()
