"""One deadline scan (督办) over a million open complaints on PostgreSQL.

Prints figures only. Seeds --open open complaints spread over the last 60
days in 40 outlets, of which --due have a check due now (warnings and
escalations to work out) and the rest later, then times `escalation.scan`
as `manyi worker` runs it every minute. The scan reads only the cases whose
`next_check_at` has come, through a partial index; for scale, the same run
also times counting the open cases.

Database: --database-url (default MANYI_BENCH_DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench). Its public schema
is DROPPED and recreated: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from sqlalchemy import text

from manyi import audit
from manyi.complaints import clock
from manyi.complaints.escalation import scan
from manyi.db import Database, upgrade
from manyi.org import service as units
from manyi.org import staff
from manyi.org.model import Role, UnitLevel

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
ACTOR = audit.Actor(id=None, name="bench")
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
OUTLETS = 40
BENCH_PASSWORD = "Bench-pass-2026"  # noqa: S105 (scratch accounts of a scratch database)

SEED = """
INSERT INTO complaints (
    reference, source, intake, intake_ref, department, flags, subject, description, request,
    product, complainant_name, complainant_phone, complainant_id_number, complainant_email,
    complainant_address, registered_unit_id, responsible_unit_id, responsible_unit_path,
    received_at, registered_at, regulator_ref, state, policy_code, timezone, deadline_stage,
    clock_started_at, due_at, next_check_at, risk_notified, escalation_level, breached,
    reopen_count, decision, root_cause, rectification_ref, updated_at)
SELECT
    'B' || i, 'manyi', 'hotline', '', 'retail', '[]', '排队时间过长',
    '', '', '', '', '', '', '', '',
    u.id, u.id, u.path,
    r.received, :now, '', 'registered', 'cbirc-2020', 'Asia/Shanghai', 0,
    r.received,
    ((date_trunc('day', r.received AT TIME ZONE 'Asia/Shanghai') + interval '16 days')
        AT TIME ZONE 'Asia/Shanghai'),
    CASE WHEN i <= :due THEN :now - (i % 60) * interval '1 second'
         ELSE :now + (1 + i % 20000) * interval '1 minute' END,
    0, 0, false, 0, '', '', '', :now
FROM generate_series(1, :n) AS i
JOIN LATERAL (
    SELECT :now - ((i::bigint * 7919) % 28800) * interval '1 minute' AS received) r ON true
JOIN (SELECT id, path, row_number() OVER (ORDER BY id) - 1 AS k FROM units WHERE level = 'outlet') u
    ON u.k = i % :outlets
"""


def seed(db: Database, n: int, due: int) -> None:
    with db.session() as session:
        head = units.create_unit(
            session, ACTOR, units.UnitFields(code="HQ", level=UnitLevel.HEAD_OFFICE, name_zh="总行")
        )
        branch = units.create_unit(
            session,
            ACTOR,
            units.UnitFields(
                code="BR", level=UnitLevel.TIER1_BRANCH, name_zh="分行", parent_id=head.id
            ),
        )
        for k in range(OUTLETS):
            outlet = units.create_unit(
                session,
                ACTOR,
                units.UnitFields(
                    code=f"O{k}", level=UnitLevel.OUTLET, name_zh=f"网点{k}", parent_id=branch.id
                ),
            )
            staff.create_staff(
                session,
                ACTOR,
                username=f"head{k}",
                display_name=f"负责人{k}",
                unit_id=outlet.id,
                roles=[Role.BRANCH_HEAD],
                password=BENCH_PASSWORD,
            )
        staff.create_staff(
            session,
            ACTOR,
            username="manager",
            display_name="督办",
            unit_id=branch.id,
            roles=[Role.COMPLAINT_MANAGER],
            password=BENCH_PASSWORD,
        )
        clock.ensure_policies(session)
    started = time.perf_counter()
    with db.session() as session:
        session.execute(text(SEED), {"n": n, "due": due, "now": NOW, "outlets": OUTLETS})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE complaints"))
    print(f"seeded {n:,} open complaints in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("MANYI_BENCH_DATABASE_URL", PG_DEFAULT)
    )
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=500, help="cases with a check due at the scan")
    args = parser.parse_args()
    url = args.database_url
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    upgrade(url)
    db = Database(url)
    seed(db, args.open, args.due)
    with db.engine.connect() as conn:
        plan = (
            conn.execute(
                text(
                    "EXPLAIN SELECT id, next_check_at FROM complaints WHERE next_check_at <= :now "
                    "ORDER BY next_check_at, id LIMIT 200"
                ),
                {"now": NOW},
            )
            .scalars()
            .all()
        )
        print("due query plan:", " / ".join(p.strip() for p in plan))
        started = time.perf_counter()
        open_cases = conn.execute(
            text("SELECT count(*) FROM complaints WHERE state = 'registered'")
        ).scalar()
        counting = time.perf_counter() - started
    print(f"counting the {open_cases:,} open cases (for scale): {counting:.2f} s")
    started = time.perf_counter()
    report = scan(db, NOW)
    first = time.perf_counter() - started
    print(
        f"deadline scan: {first:.2f} s (goal <= 2 s) — looked at {report.looked}, warned "
        f"{report.warned}, escalated {report.escalated}, closed {report.closed}"
    )
    started = time.perf_counter()
    idle = scan(db, NOW + dt.timedelta(seconds=1))
    print(
        f"next scan with nothing due: {(time.perf_counter() - started) * 1000:.1f} ms "
        f"(looked at {idle.looked})"
    )
    db.dispose()


if __name__ == "__main__":
    main()
