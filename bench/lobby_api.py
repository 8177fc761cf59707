"""Lobby HTTP API under load: kiosks issuing, tellers calling and completing.

For each engine: prepares a fresh database, migrates it, seeds the demo bank,
signs a teller on to every counter of the demo outlet BJ-HD-ZGC (open around
the clock) and gives each counter a calling pad and each kiosk a device
token; starts manyi with uvicorn (2 workers, access log off) on a free
loopback port; then, for a fixed time, N kiosks POST tickets and M calling
pads POST call-next then complete, as fast as they are answered.

Afterwards it stops the server and checks from the database that no ticket
leg was called more than once and that numbers are unique and gap-free, and
prints ops/s and p50/p99 latency per operation.

Then, in the same run and on the same database, it serves the floor instead
(bench/support/floor_app.py: only the SQL a ticket needs, on manyi's tables, at
another demo outlet) the same way, drives it with the same clients, checks it the
same way, and reports manyi's ticket operations as a ratio to the floor's. The last
line printed for each engine is one JSON object with the figures.

Goal on a 2-core machine with PostgreSQL: at least 300 ticket operations a
second (issue, call-next that returned a ticket, complete) with p99 at most
50 ms for each of them.

Databases: SQLite is a file in a new temporary directory. PostgreSQL is
MANYI_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench);
its public schema is DROPPED and recreated: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, make_url, select

# Run as a script, bench/ is sys.path[0]: its shared code is the package `support`
# (bench/support/; the tests import it as bench.support).
from support.figures import quantile
from support.floor_app import FLOOR_OUTLET
from support.lobby_fixture import (
    OUTLET,
    PG_DEFAULT,
    Fixture,
    fresh_url,
    prepare,
    redact,
    without_tally_triggers,
)
from support.lobby_load import SCREEN_PAUSE_S, Stats, drive
from support.processes import (
    FLOOR_APP,
    MANYI_APP,
    free_port,
    start_server,
    stop_server,
    wait_healthy,
)

from manyi.db import Database
from manyi.lobby.tables import LobbyEventRow, LobbyTicket, QueueTally
from manyi.org.tables import Unit

GOAL_OPS, GOAL_P99_MS = 300.0, 50.0
TICKET_OPS = ("issue", "call", "complete")


# --- checking and reporting -------------------------------------------------------------


@dataclass
class Check:
    tickets: int
    called_events: int
    called_twice: int  # ticket legs with more than one 'called' event
    number_problems: int  # (day, prefix) sequences with a gap or a duplicate
    client_duplicates: int  # ticket ids call-next handed out more than once
    # (day, service) whose waiting count in the tally issuing reads is not the queue's (manyi)
    tally_problems: int = 0

    @property
    def ok(self) -> bool:
        return (
            not (self.called_twice or self.number_problems or self.client_duplicates)
            and not self.tally_problems
        )


def check(url: str, stats: Stats, outlet: str = OUTLET, tally: bool = True) -> Check:
    """What the database says of the run at `outlet`; with `tally`, also whether the queue's
    tally (kept by manyi's triggers, which the floor runs without) matches the queue."""
    db = Database(url)
    with db.session() as session:
        outlet_id = session.scalar(select(Unit.id).where(Unit.code == outlet))
        tickets = session.scalar(select(func.count()).where(LobbyTicket.outlet_id == outlet_id))
        per_leg = (
            select(LobbyEventRow.ticket_id, func.count().label("calls"))
            .where(LobbyEventRow.outlet_id == outlet_id, LobbyEventRow.kind == "called")
            .group_by(LobbyEventRow.ticket_id)
            .subquery()
        )
        called_events = session.scalar(select(func.coalesce(func.sum(per_leg.c.calls), 0)))
        called_twice = session.scalar(select(func.count()).where(per_leg.c.calls > 1))
        sequences = session.execute(
            select(
                func.count(),
                func.count(func.distinct(LobbyTicket.seq)),
                func.min(LobbyTicket.seq),
                func.max(LobbyTicket.seq),
            )
            .where(LobbyTicket.outlet_id == outlet_id, LobbyTicket.previous_id.is_(None))
            .group_by(LobbyTicket.local_day, LobbyTicket.prefix)
        ).all()
        waiting = session.execute(
            select(LobbyTicket.local_day, LobbyTicket.service_code, func.count())
            .where(LobbyTicket.outlet_id == outlet_id, LobbyTicket.state == "waiting")
            .group_by(LobbyTicket.local_day, LobbyTicket.service_code)
        ).all()
        counted = session.execute(
            select(QueueTally.local_day, QueueTally.service_code, func.sum(QueueTally.n))
            .where(QueueTally.outlet_id == outlet_id)
            .group_by(QueueTally.local_day, QueueTally.service_code)
        ).all()
    db.dispose()
    queue = {(day, code): n for day, code, n in waiting}
    kept = {(day, code): n for day, code, n in counted if n}
    off = {key for key in queue.keys() | kept.keys() if queue.get(key) != kept.get(key)}
    bad = sum(1 for n, distinct, low, high in sequences if not (n == distinct == high and low == 1))
    return Check(
        tickets=int(tickets or 0),
        called_events=int(called_events or 0),
        called_twice=int(called_twice or 0),
        number_problems=bad,
        client_duplicates=len(stats.called) - len(set(stats.called)),
        tally_problems=len(off) if tally else 0,
    )


def report(
    engine: str, args: argparse.Namespace, stats: Stats, result: Check, floor: bool = False
) -> bool:
    seconds = args.seconds
    server = "stock uvicorn" if args.stock_uvicorn else "uvicorn with TCP_NODELAY fix"
    print(
        f"\n{'floor on ' if floor else ''}{engine}: {server}, --workers {args.workers}, "
        f"{seconds:g} s measured after "
        f"{args.warmup:g} s warm-up, {args.kiosks} kiosks, {args.tellers} tellers, "
        + (f"open loop at {args.rate:g} ticket ops/s offered" if args.rate else "closed loop")
        + (f", at most {args.max_waiting} waiting a service" if args.max_waiting else "")
        + (f", {args.screens} dashboards" if args.screens and not floor else "")
        + (f", {args.sign_ins:g} sign-ins/s" if args.sign_ins and not floor else "")
    )
    print(f"  {'operation':<14}{'count':>8}{'ops/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'409s':>7}")
    for op in ("issue", "call", "complete", "call (empty)", "dashboard", "sign-in"):
        if op in ("dashboard", "sign-in") and op not in stats.latency:
            continue
        values = stats.latency.get(op, [])
        conflicts = stats.conflicts.get(op.split()[0], 0) if op != "call (empty)" else ""
        print(
            f"  {op:<14}{len(values):>8}{len(values) / seconds:>9.1f}"
            f"{quantile(values, 0.5) * 1000:>9.1f}{quantile(values, 0.99) * 1000:>9.1f}"
            f"{conflicts!s:>7}"
        )
    ticket_ops = sum(len(stats.latency.get(op, [])) for op in TICKET_OPS)
    worst_p99 = max(quantile(stats.latency.get(op, [0.0]), 0.99) for op in TICKET_OPS) * 1000
    rate = ticket_ops / seconds
    print(f"  ticket operations: {rate:.1f}/s; worst p99 among them {worst_p99:.1f} ms")
    requests = sum(map(len, stats.latency.values())) + sum(stats.conflicts.values())
    if requests:
        print(
            f"  CPU per request: server {stats.server_cpu_s / requests * 1000:.1f} ms "
            f"({stats.server_cpu_s / seconds:.2f} cores), bench client "
            f"{stats.client_cpu_s / requests * 1000:.1f} ms ({stats.client_cpu_s / seconds:.2f} "
            "cores); "
            + (
                f"PostgreSQL on this machine {stats.database_cpu_s / requests * 1000:.1f} ms "
                f"({stats.database_cpu_s / seconds:.2f} cores)"
                if math.isfinite(stats.database_cpu_s)
                else "the database's own CPU is not included"
            )
        )
    errors = sum(stats.errors.values())
    print(f"  errors: {errors}" + (f" ({dict(stats.errors)})" if errors else ""))
    print(
        f"  database: {result.tickets} tickets (kiosks were given {stats.issued}), "
        f"{result.called_events} calls (pads were given {len(stats.called)}); "
        f"{result.called_twice} legs called twice, {result.number_problems} numbering "
        f"problems, {result.client_duplicates} tickets handed to two pads"
        + ("" if floor else f", {result.tally_problems} queue tally problems")
        + " -> "
        + ("OK" if result.ok else "FAILED")
    )
    if floor:
        return result.ok and not errors
    met = rate >= GOAL_OPS and worst_p99 <= GOAL_P99_MS
    goal = f">= {GOAL_OPS:.0f} ticket ops/s with p99 <= {GOAL_P99_MS:.0f} ms"
    label = "goal" if engine == "postgresql" else "PostgreSQL goal, for comparison"
    print(f"  {label} ({goal}): " + ("met" if met else "NOT met"))
    return result.ok and not errors


def figures(stats: Stats, seconds: float) -> dict[str, float]:
    """Ticket operations and completions a second, the worst p99 among the ticket
    operations (ms), the server's CPU per request (ms) and, for PostgreSQL on this machine,
    the database server's (ms): on a saturated machine the ratio to the floor follows the
    two together (docs/lobby.md, sixth round)."""
    requests = sum(map(len, stats.latency.values())) + sum(stats.conflicts.values())
    found = {
        "ticket_ops_per_s": sum(len(stats.latency.get(op, [])) for op in TICKET_OPS) / seconds,
        "served_per_s": len(stats.latency.get("complete", [])) / seconds,
        "p99_ms": max(quantile(stats.latency.get(op, [0.0]), 0.99) for op in TICKET_OPS) * 1000,
        "server_cpu_ms_per_request": stats.server_cpu_s / requests * 1000
        if requests
        else float("nan"),
    }
    if requests and math.isfinite(stats.database_cpu_s):
        found["database_cpu_ms_per_request"] = stats.database_cpu_s / requests * 1000
    return found


def serve_and_drive(
    engine: str, args: argparse.Namespace, url: str, workdir: Path, fixture: Fixture, app: str
) -> Stats:
    """`app` served by uvicorn as `args` say, driven by the bench's clients, then stopped."""
    floor = app == FLOOR_APP
    port = free_port()
    server = start_server(url, port, workdir, args.stock_uvicorn, args.workers, app)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server)
        label = "the floor" if floor else "server"
        print(f"[{engine}] {label} up on port {port}; driving ...", flush=True)
        stats = asyncio.run(
            drive(
                f"http://127.0.0.1:{port}",
                fixture,
                args.seconds,
                args.warmup,
                server.pid,
                args.httpx,
                args.rate,
                0 if floor else args.screens,  # the floor serves tickets only
                0.0 if floor else args.sign_ins,
                args.max_waiting,
            )
        )
    finally:
        stop_server(server)
        log = (workdir / "server.log").read_text(errors="replace").strip()
    if log:
        print(f"[{engine}] server log (last lines):\n" + "\n".join(log.splitlines()[-15:]))
    if not database_here(url):  # SQLite runs in the server; a remote server is not measured
        stats.database_cpu_s = float("nan")
    return stats


def database_here(url: str) -> bool:
    """Whether `url` names a PostgreSQL server on this machine, whose CPU the bench reads."""
    return url.startswith("postgresql") and make_url(url).host in (None, "127.0.0.1", "localhost")


def run(engine: str, args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="manyi-bench-") as tmp:
        workdir = Path(tmp)
        url = fresh_url(engine, workdir)
        print(f"[{engine}] preparing {redact(url)} ...", flush=True)
        fixture = prepare(url, args.kiosks, args.tellers)
        stats = serve_and_drive(engine, args, url, workdir, fixture, MANYI_APP)
        result = check(url, stats)
        ok = report(engine, args, stats, result)
        without_tally_triggers(url)  # manyi's: the floor runs only the SQL a ticket needs
        floor_stats = serve_and_drive(engine, args, url, workdir, fixture, FLOOR_APP)
        floor_result = check(url, floor_stats, FLOOR_OUTLET, tally=False)
        floor_ok = report(engine, args, floor_stats, floor_result, floor=True)
    mine, floor = figures(stats, args.seconds), figures(floor_stats, args.seconds)
    ratio = mine["ticket_ops_per_s"] / floor["ticket_ops_per_s"] if floor["ticket_ops_per_s"] else 0
    print(
        f"\n{engine}: manyi {mine['ticket_ops_per_s']:.1f} ticket ops/s, the floor "
        f"{floor['ticket_ops_per_s']:.1f}: ratio {ratio:.2f}; server CPU per request "
        f"{mine['server_cpu_ms_per_request']:.2f} ms against "
        f"{floor['server_cpu_ms_per_request']:.2f} ms; load average {os.getloadavg()[0]:.2f}"
    )
    summary = {
        "engine": engine,
        **{key: round(value, 2) for key, value in mine.items()},
        **{"floor_" + key: round(value, 2) for key, value in floor.items()},
        "ratio_to_floor": round(ratio, 3),
        "double_calls": result.called_twice + result.client_duplicates,
        "number_problems": result.number_problems,
        "tally_problems": result.tally_problems,
        "errors": sum(stats.errors.values()),
        "floor_double_calls": floor_result.called_twice + floor_result.client_duplicates,
        "load_average": round(os.getloadavg()[0], 2),
        "workers": args.workers,
        "kiosks": args.kiosks,
        "tellers": args.tellers,
        "max_waiting": args.max_waiting,
    }
    print(json.dumps(summary), flush=True)
    return ok and floor_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=(
            "WARNING: with --engine postgresql or both, the public schema of "
            "MANYI_BENCH_DATABASE_URL (default " + PG_DEFAULT + ") is DROPPED and "
            "recreated. Use a scratch database."
        ),
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start (default 2)")
    parser.add_argument("--kiosks", type=int, default=4, help="concurrent kiosks (default 4)")
    parser.add_argument(
        "--tellers", type=int, default=8, help="concurrent tellers, one per counter (default 8)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offered load in ticket operations a second (open loop: kiosks issue a third of "
        "it on a schedule, pads call and complete what arrives); default: as fast as answered",
    )
    parser.add_argument(
        "--max-waiting",
        type=int,
        default=None,
        help="kiosks issue no ticket for a service while this many of its tickets wait uncalled "
        "(default: no limit: in a closed loop the queue grows all run, and issuing counts it)",
    )
    parser.add_argument(
        "--screens",
        type=int,
        default=0,
        help=f"lobby managers' dashboards reloading every {SCREEN_PAUSE_S:g} s (default 0)",
    )
    parser.add_argument(
        "--sign-ins",
        type=float,
        default=0.0,
        help="staff sign-ins a second with the right password, as at opening (default 0)",
    )
    parser.add_argument(
        "--httpx",
        action="store_true",
        help="drive the load through httpx instead of the bench's lean HTTP/1.1 client",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (default 2)"
    )
    parser.add_argument(
        "--stock-uvicorn",
        action="store_true",
        help="run uvicorn unpatched: with --workers it leaves TCP_NODELAY off (uvicorn#3149)",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.kiosks <= 64 and 1 <= args.tellers <= 64 and args.seconds > 0):
        parser.error("kiosks and tellers: 1 to 64; seconds: more than 0")
    if args.max_waiting is not None and args.max_waiting < 1:
        parser.error("--max-waiting: at least 1")
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    ok = all([run(engine, args) for engine in engines])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
