"""Board latency: from a call at a counter to the `called` event on the display boards.

Starts manyi with uvicorn (`--workers 2` by default, through the TCP_NODELAY
launcher of bench/support/processes.py) on PostgreSQL. Opens display-board event
streams (`GET /device/api/v1/lobby/events`) until they are spread evenly over
the workers: the `hello` event of each stream names the worker serving it.
Then calling pads call the next ticket at counters 1-4 of the demo outlet
BJ-HD-ZGC (and complete it), one call every --interval seconds. Every call is
sent on a new connection, so the calls land on either worker, as behind a
load balancer.

For each call and each board it measures the time from just before the
call-next POST is sent until that board has read the `called` event of that
ticket. It prints count, p50, p95, p99 and max in ms, overall and split by
path: boards on the worker that handled the POST (in-process fan-out) and
boards on another worker (PostgreSQL NOTIFY, then that worker's LISTEN). It
also prints the median of the POST itself, for context, and whether the goal
(p95 <= 500 ms) is met. It prints figures; it never asserts them. With
`--workers 1` the same measurement gives the single-process baseline.

Which worker handled a POST is read from /proc (Linux): the worker process
that holds the server end of the call's TCP connection. Elsewhere the split
by path is not shown.

Database: --database-url (default MANYI_BENCH_DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench). Its public schema
is DROPPED and recreated: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, text

# Run as a script, bench/ is sys.path[0]: its shared code is the package `support`
# (bench/support/; the tests import it as bench.support).
from support.boards import Board, follow, open_board
from support.figures import quantile
from support.lobby_fixture import ACTOR, OUTLET, PG_DEFAULT, prepare, redact
from support.processes import (
    connection_owner,
    free_port,
    process_tree,
    start_server,
    stop_with_workers,
    wait_healthy,
)
from support.rawhttp import RawHttp

from manyi.db import Database
from manyi.org import device_tokens
from manyi.org.tables import Unit

GOAL_P95_MS = 500.0
COUNTERS = (1, 2, 3, 4)  # demo counters of BJ-HD-ZGC that serve "A"
WARMUP_CALLS = 8  # made and delivered before measuring: first requests warm caches
DELIVERY_WAIT_S = 10.0  # how long to wait for the last events after the last call
# Open connections would hold up uvicorn's graceful shutdown for ever.
SHUTDOWN_ENV = {"UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": "3"}


# --- the run -----------------------------------------------------------------------------


@dataclass
class Call:
    ticket_id: int
    sent: float  # perf_counter just before the POST was sent
    post_s: float  # until its answer was read
    worker: int | None  # the worker that handled it, when /proc tells


@dataclass
class Result:
    calls: list[Call]
    boards: list[Board]
    errors: Tally[str]
    board_attempts: int


def reset_schema(url: str) -> None:
    print(f"dropping and recreating schema public of {redact(url)}", flush=True)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()


def board_tokens(url: str, n: int) -> list[str]:
    db = Database(url)
    with db.session() as session:
        outlet_id = session.scalar(select(Unit.id).where(Unit.code == OUTLET))
        assert outlet_id is not None
        secrets = [
            device_tokens.issue_token(
                session, ACTOR, outlet_id=outlet_id, kind="display", name=f"board {k}", valid_days=1
            )[1]
            for k in range(n)
        ]
    db.dispose()
    return secrets


async def drive(
    base: str,
    server_pid: int,
    kiosk: str,
    pads: dict[int, str],
    boards_secrets: list[str],
    args: argparse.Namespace,
) -> Result:
    host, port_text = base.removeprefix("http://").split(":")
    port = int(port_text)
    errors: Tally[str] = Tally()
    clients: list[httpx.AsyncClient] = []
    boards: list[Board] = []
    try:
        # Tickets first, so that every call finds someone waiting.
        issuer = RawHttp(host, port)
        for _ in range(args.calls + WARMUP_CALLS + len(COUNTERS)):
            status, _body = await issuer.post(
                "/device/api/v1/lobby/tickets", {"service": "A"}, kiosk
            )
            if status != 201:
                errors[f"issue {status}"] += 1
        await issuer.close()

        # Boards, evenly over the workers.
        per_worker = math.ceil(args.boards / args.workers)
        placed: Tally[int] = Tally()
        attempts = 0
        while len(boards) < args.boards and attempts < 20 + 5 * args.boards:
            secret = boards_secrets[len(boards)]
            client, response, board, lines = await open_board(base, secret)
            attempts += 1
            if placed[board.pid] >= per_worker:  # that worker has its share already
                await response.aclose()
                await client.aclose()
                continue
            placed[board.pid] += 1
            clients.append(client)
            board.task = asyncio.create_task(follow(board, lines))
            boards.append(board)
        if len(boards) < args.boards:
            raise SystemExit(
                f"could not spread {args.boards} boards over {args.workers} workers in "
                f"{attempts} connections (per worker: {dict(placed)})"
            )

        tree = process_tree(server_pid)
        calls: list[Call] = []
        caller, completer = RawHttp(host, port), RawHttp(host, port)
        caller.REQUESTS_PER_CONNECTION = 1  # a new connection per call

        async def call(i: int) -> Call | None:
            number = COUNTERS[i % len(COUNTERS)]
            path, secret = f"/device/api/v1/lobby/counters/{number}", pads[number]
            sent = time.perf_counter()
            status, body = await caller.post(path + "/call-next", None, secret)
            post_s = time.perf_counter() - sent
            ticket = json.loads(body).get("ticket") if status == 200 else None
            if ticket is None:
                errors[f"call-next {status}" if status != 200 else "call-next: nobody waiting"] += 1
                return None
            done, _ = await completer.post(path + "/complete", {"ticket_id": ticket["id"]}, secret)
            if done != 200:
                errors[f"complete {done}"] += 1
            # The call's connection is still open (the next call opens a new one): ask /proc
            # which worker holds it. In a thread, so as not to hold up the boards' reading.
            assert caller.writer is not None
            client_port = int(caller.writer.get_extra_info("sockname")[1])
            worker = await asyncio.to_thread(connection_owner, port, client_port, tree)
            return Call(int(ticket["id"]), sent, post_s, worker)

        async def delivered(ticket_ids: list[int], seconds: float) -> None:
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                if all(t in b.arrivals for b in boards for t in ticket_ids):
                    return
                await asyncio.sleep(0.02)

        warmup = [c for i in range(WARMUP_CALLS) if (c := await call(i)) is not None]
        await delivered([c.ticket_id for c in warmup], DELIVERY_WAIT_S)
        for i in range(args.calls):
            made = await call(WARMUP_CALLS + i)
            if made is not None:
                calls.append(made)
            await asyncio.sleep(args.interval)
        await delivered([c.ticket_id for c in calls], DELIVERY_WAIT_S)
        await caller.close()
        await completer.close()
        return Result(calls, boards, errors, attempts)
    finally:
        for board in boards:
            if board.task is not None:
                board.task.cancel()
                with contextlib.suppress(BaseException):
                    await board.task
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()


def report(args: argparse.Namespace, result: Result) -> None:
    calls, boards = result.calls, result.boards
    by_path: dict[str, list[float]] = {"all": [], "same worker": [], "other worker": []}
    missing = 0
    for c in calls:
        for b in boards:
            arrived = b.arrivals.get(c.ticket_id)
            if arrived is None:
                missing += 1
                continue
            ms = (arrived - c.sent) * 1000
            by_path["all"].append(ms)
            if c.worker is not None:
                by_path["same worker" if c.worker == b.pid else "other worker"].append(ms)
    out_of_order = sum(
        1 for b in boards if any(x >= y for x, y in zip(b.event_ids, b.event_ids[1:], strict=False))
    )
    handled = Tally(c.worker for c in calls)
    print(
        f"\nboard latency: PostgreSQL, --workers {args.workers}, {len(boards)} boards "
        f"(per worker: {dict(Tally(b.pid for b in boards))}; {result.board_attempts} "
        f"connections opened to place them), {len(calls)} calls every {args.interval:g} s "
        f"after {WARMUP_CALLS} warm-up calls"
    )
    print(
        "  call-next POSTs handled per worker: "
        + ", ".join(
            f"{pid if pid else 'unknown'}: {n}" for pid, n in sorted(handled.items(), key=str)
        )
    )
    print(f"  {'path':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for path, values in by_path.items():
        if path != "all" and not values:
            continue
        print(
            f"  {path:<14}{len(values):>7}{quantile(values, 0.5):>9.1f}"
            f"{quantile(values, 0.95):>9.1f}{quantile(values, 0.99):>9.1f}"
            f"{max(values, default=math.nan):>9.1f}"
        )
    post_ms = [c.post_s * 1000 for c in calls]
    print(
        f"  call-next POST itself (new connection each): median "
        f"{statistics.median(post_ms) if post_ms else math.nan:.1f} ms"
    )
    print(
        f"  not received within {DELIVERY_WAIT_S:g} s of the last call: {missing} of "
        f"{len(calls) * len(boards)}; boards that saw `called` ids out of order: {out_of_order}"
    )
    errors = sum(result.errors.values())
    print(f"  errors: {errors}" + (f" ({dict(result.errors)})" if errors else ""))
    p95 = quantile(by_path["all"], 0.95)
    met = not missing and p95 <= GOAL_P95_MS
    print(
        f"  goal (p95 <= {GOAL_P95_MS:.0f} ms from call to board, every event delivered): "
        + ("met" if met else "NOT met")
    )


def run(args: argparse.Namespace) -> int:
    url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if not url.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    reset_schema(url)
    print(f"preparing {redact(url)} ...", flush=True)
    fixture = prepare(url, 1, len(COUNTERS))
    secrets = board_tokens(url, args.boards)
    os.environ.update(SHUTDOWN_ENV)
    with tempfile.TemporaryDirectory(prefix="manyi-board-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        server = start_server(url, port, workdir, False, args.workers)
        tree: list[int] = []
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, server)
            tree = process_tree(server.pid)
            print(f"server up on port {port} (pids {tree}); measuring ...", flush=True)
            result = asyncio.run(
                drive(base, server.pid, fixture.kiosks[0], fixture.pads, secrets, args)
            )
        finally:
            tree = tree or process_tree(server.pid)
            stop_with_workers(server, [pid for pid in tree if pid != server.pid])
            log = (workdir / "server.log").read_text(errors="replace").strip()
        if log:
            print("server log (last lines):\n" + "\n".join(log.splitlines()[-15:]))
    report(args, result)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="WARNING: the public schema of --database-url is DROPPED and recreated.",
    )
    parser.add_argument("--calls", type=int, default=200, help="measured calls (default 200)")
    parser.add_argument(
        "--boards", type=int, default=4, help="board streams, spread over the workers (default 4)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (default 2)"
    )
    parser.add_argument(
        "--interval", type=float, default=0.05, help="seconds between calls (default 0.05)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MANYI_BENCH_DATABASE_URL") or PG_DEFAULT,
        help="PostgreSQL database whose public schema is dropped and recreated "
        "(default: MANYI_BENCH_DATABASE_URL, else " + PG_DEFAULT + ")",
    )
    args = parser.parse_args(argv)
    if not (args.calls >= 1 and 1 <= args.boards <= 64 and 1 <= args.workers <= 16):
        parser.error("calls: at least 1; boards: 1 to 64; workers: 1 to 16")
    if args.interval < 0:
        parser.error("interval: 0 or more")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
