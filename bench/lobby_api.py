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
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import func, make_url, select, text, update

from manyi import audit, demo
from manyi.db import Database, upgrade
from manyi.lobby import counters, layouts, setup
from manyi.lobby.demo_layout import LARGE, OUTLETS, SERVICES
from manyi.lobby.service import Operator
from manyi.lobby.setup import CounterSpec
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from manyi.org import device_tokens, passwords
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff, Unit

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
OUTLET = "BJ-HD-ZGC"
SCREEN_USER = "zgc.lobby"  # the demo outlet's lobby manager (--screens, --sign-ins)
SCREEN_PAUSE_S = 0.5
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ACTOR = audit.Actor(id=None, name="bench")
# Kiosk mix: mostly personal business, some fast-lane, corporate and wealth customers.
SERVICE_MIX = ("A",) * 8 + ("B",) * 6 + ("K",) * 3 + ("C",) * 2 + ("V",)
# Counters 5 (corporate only) and 6 (VIP, wealth first) need tellers with those skills.
SKILLED = {5: "zgc.teller1", 6: "zgc.teller2"}
GOAL_OPS, GOAL_P99_MS = 300.0, 50.0
TICKET_OPS = ("issue", "call", "complete")
EMPTY_PAUSE_S = 0.5  # a teller who finds nobody waiting waits a moment before pressing again
RETRY_PAUSE_S = 0.05


# --- preparing a database -----------------------------------------------------------


def fresh_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    url = os.environ.get("MANYI_BENCH_DATABASE_URL", "") or PG_DEFAULT
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    print(f"[postgresql] dropping and recreating schema public of {redact(url)}", flush=True)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    return url


@dataclass
class Fixture:
    kiosks: list[str]  # device token secrets
    pads: dict[int, str]  # counter number -> calling-pad token secret


def prepare(url: str, n_kiosks: int, n_tellers: int) -> Fixture:
    """Migrate, seed the demo, open `n_tellers` counters at the outlet, issue device tokens."""
    upgrade(url)
    db = Database(url)
    # Production password hashing costs ~0.1 s per staff member: not what is measured.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with db.session() as session:
        demo.seed(session)
        # ... except for the one who signs in during the run (--sign-ins): the real cost.
        session.execute(
            update(Staff)
            .where(Staff.username == SCREEN_USER)
            .values(password_hash=PasswordHasher().hash(demo.DEMO_PASSWORD))
        )
        outlet = session.scalar(select(Unit).where(Unit.code == OUTLET))
        assert outlet is not None and OUTLETS[OUTLET][1] is None  # open around the clock
        if n_tellers > len(LARGE):  # more counters than the demo has: add regular ones
            extra = [
                CounterSpec(n, "regular", ("A", "B", "K"))
                for n in range(len(LARGE) + 1, n_tellers + 1)
            ]
            policy = layouts.load_policy(session, outlet)
            setup.configure_outlet(
                session, ACTOR, outlet, policy=policy, services=SERVICES, counters=[*LARGE, *extra]
            )
        numbers = list(range(1, n_tellers + 1))
        tellers = {n: SKILLED.get(n, f"bench.teller{n}") for n in numbers}
        for n, username in tellers.items():
            if staff_service.by_username(session, username) is None:
                staff_service.create_staff(
                    session,
                    ACTOR,
                    username=username,
                    display_name=f"压测柜员{n}",
                    unit_id=outlet.id,
                    roles=[Role.TELLER],
                    password=secrets.token_urlsafe(16) + "-Aa1",
                )
        kiosks = [
            device_tokens.issue_token(
                session, ACTOR, outlet_id=outlet.id, kind="kiosk", name=f"kiosk {k}", valid_days=1
            )[1]
            for k in range(n_kiosks)
        ]
        pads = {
            n: device_tokens.issue_token(
                session,
                ACTOR,
                outlet_id=outlet.id,
                kind="counter_pad",
                name=f"pad {n}",
                valid_days=1,
                counter=n,  # a calling pad is bound to its counter
            )[1]
            for n in numbers
        }
    now = dt.datetime.now(dt.UTC)
    for n, username in tellers.items():
        with db.session() as session:
            staff = staff_service.by_username(session, username)
            assert staff is not None
            actor = audit.Actor(
                id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
            )
            counters.open_counter(session, Operator.staff(actor, staff.permissions), OUTLET, n, now)
    db.dispose()
    return Fixture(kiosks, pads)


# --- the server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# uvicorn --workers binds the listening socket itself with proto 0; accepted sockets
# inherit it, asyncio then leaves TCP_NODELAY off, and every keep-alive response waits
# ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open at uvicorn 0.54). This
# launcher gives the socket proto IPPROTO_TCP, as the proposed fix does (uvicorn#3154);
# --stock-uvicorn runs uvicorn unchanged to show the difference.
NODELAY_LAUNCHER = """
import socket, sys
import uvicorn.config
from uvicorn.main import main

_bind = uvicorn.config.Config.bind_socket

def bind_socket(self):
    sock = _bind(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        fd = sock.detach()
        sock = socket.socket(sock.family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=fd)
    return sock

uvicorn.config.Config.bind_socket = bind_socket
sys.argv[0] = "uvicorn"
sys.exit(main())
"""


def start_server(
    url: str, port: int, workdir: Path, stock: bool, workers: int = 2
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": url,
        "MANYI_SECRET_KEY": secrets.token_urlsafe(48),
        "MANYI_LOG_LEVEL": "WARNING",
        "MANYI_VAR_DIR": str(workdir / "var"),
        "MANYI_WEB_WORKERS": str(workers),  # on SQLite, each watches the others' commits
    }
    command = [
        sys.executable,
        *(("-m", "uvicorn") if stock else ("-c", NODELAY_LAUNCHER)),
        "manyi.web.main:create",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    # cwd: a directory without a .env file, so only the variables above apply.
    with (workdir / "server.log").open("wb") as log:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )


def wait_healthy(base: str, server: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"server not healthy after {seconds:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the load -------------------------------------------------------------------------


class RawHttp:
    """One keep-alive HTTP/1.1 connection, just enough for this bench's JSON POSTs.

    The bench shares the machine's two cores with the server it measures;
    this client costs a fraction of httpx's CPU per request, which leaves
    more to the server. `--httpx` runs the same load through httpx instead.
    """

    # uvicorn's workers share one listening socket and a kept-alive connection
    # stays with the worker that accepted it; with a dozen clients one worker
    # can end up with nearly all of them while the other idles. Reconnecting
    # now and then spreads the load the way a load balancer's traffic would.
    REQUESTS_PER_CONNECTION = 25

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0

    async def post(self, path: str, payload: object, secret: str) -> tuple[int, bytes]:
        if self.used >= self.REQUESTS_PER_CONNECTION:
            await self.close()
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.used = 0
        self.used += 1
        body = b"" if payload is None else json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status = int((await self.reader.readline()).split()[1])
            length, close = 0, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            answer = await self.reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            await self.close()
            raise
        if close:
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=dict)  # op -> seconds, in window
    conflicts: Tally[str] = field(default_factory=Tally)  # op -> 409 answers, in window
    errors: Tally[str] = field(default_factory=Tally)  # "op status" or "op ExceptionName"
    called: list[int] = field(default_factory=list)  # ticket ids returned by call-next
    issued: int = 0  # tickets the kiosks got (whole run, warm-up included)
    server_cpu_s: float = float("nan")  # CPU time of the server processes in the window
    client_cpu_s: float = float("nan")  # CPU time of this process in the window


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by a process and its descendants (Linux /proc; else nan)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        parent, used = {}, {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parent[int(entry.name)] = int(fields[1])
                    used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    except (OSError, ValueError):
        return float("nan")
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parent.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(used.get(pid, 0.0) for pid in tree)


async def drive(
    base: str,
    fixture: Fixture,
    seconds: float,
    warmup: float,
    server_pid: int,
    use_httpx: bool = False,
    rate: float | None = None,
    screens: int = 0,
    sign_ins: float = 0.0,
) -> Stats:
    """Kiosks and pads as coroutines on one event loop; results of the warm-up not counted.

    `screens` lobby managers' dashboards reload every SCREEN_PAUSE_S (reads); `sign_ins` staff
    sign in each second with the right password (argon2 at its production cost), as at opening
    time. Both show whether reading and signing in hold up the kiosks (issue 16 #3).
    """
    stats = Stats()
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup
    stop_at = measure_from + seconds

    async def meter() -> None:
        await asyncio.sleep(max(0.0, measure_from - loop.time()))
        server, client = tree_cpu_s(server_pid), time.process_time()
        await asyncio.sleep(max(0.0, stop_at - loop.time()))
        stats.server_cpu_s = tree_cpu_s(server_pid) - server
        stats.client_cpu_s = time.process_time() - client

    limits = httpx.Limits(max_connections=len(fixture.kiosks) + len(fixture.pads) + 4)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        host, port = base.removeprefix("http://").split(":")
        raw: dict[str, RawHttp] = {}

        async def send(path: str, secret: str, body: object) -> tuple[int, bytes]:
            if use_httpx:
                response = await client.post(
                    path, json=body, headers={"Authorization": f"Bearer {secret}"}
                )
                return response.status_code, response.content
            connection = raw.setdefault(secret, RawHttp(host, int(port)))
            return await connection.post(path, body, secret)

        async def post(op: str, path: str, secret: str, body: object) -> dict[str, Any] | None:
            """The JSON answer of a 2xx; None after a 409 or an error (both counted)."""
            began = loop.time()
            try:
                status, content = await send(path, secret, body)
            except (httpx.HTTPError, OSError, ValueError, IndexError, EOFError) as exc:
                stats.errors[f"{op} {type(exc).__name__}"] += 1
                return None
            elapsed, counted = loop.time() - began, began >= measure_from
            if status == 409:
                stats.conflicts[op] += counted
                return None
            if status >= 300:
                stats.errors[f"{op} {status}"] += 1
                return None
            answer: dict[str, Any] = json.loads(content)
            if op == "call" and answer["ticket"] is None:
                op = "call (empty)"
            if counted:
                stats.latency.setdefault(op, []).append(elapsed)
            return answer

        # Open loop (--rate): each kiosk issues on a fixed schedule, whatever the answer
        # times, so latency is measured at a known offered load. Closed loop (default):
        # each kiosk issues again as soon as it is answered, to find the ceiling.
        interval = len(fixture.kiosks) * 3 / rate if rate else 0.0

        async def kiosk(secret: str, rng: random.Random) -> None:
            due = loop.time() + rng.random() * interval
            while loop.time() < stop_at:
                if interval:
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    due += interval
                body = {"service": rng.choice(SERVICE_MIX)}
                if await post("issue", "/device/api/v1/lobby/tickets", secret, body) is None:
                    await asyncio.sleep(RETRY_PAUSE_S)
                else:
                    stats.issued += 1

        async def pad(number: int, secret: str) -> None:
            path = f"/device/api/v1/lobby/counters/{number}"
            current: int | None = None
            while loop.time() < stop_at or current is not None:
                if current is not None:  # finish the customer before calling the next
                    done = await post(
                        "complete", path + "/complete", secret, {"ticket_id": current}
                    )
                    if done is None:
                        await asyncio.sleep(RETRY_PAUSE_S)
                        if loop.time() > stop_at + 10:
                            return  # give up; the check afterwards still runs
                    else:
                        current = None
                    continue
                answer = await post("call", path + "/call-next", secret, None)
                if answer is None:
                    await asyncio.sleep(RETRY_PAUSE_S)
                elif answer["ticket"] is None:  # nobody waiting: a real pad would not hammer
                    await asyncio.sleep(EMPTY_PAUSE_S)
                else:
                    current = answer["ticket"]["id"]
                    stats.called.append(current)

        def record(op: str, began: float, status: int) -> None:
            if status >= 400:
                stats.errors[f"{op} {status}"] += 1
            elif began >= measure_from:
                stats.latency.setdefault(op, []).append(loop.time() - began)

        async def signed_in(http: httpx.AsyncClient) -> int:
            page = await http.get("/signin")
            token = CSRF_RE.search(page.text)
            began = loop.time()
            answer = await http.post(
                "/signin",
                data={
                    "username": SCREEN_USER,
                    "password": demo.DEMO_PASSWORD,
                    "csrf_token": token.group(1) if token else "",
                },
            )
            record("sign-in", began, answer.status_code)
            return answer.status_code

        async def screen() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                if await signed_in(http) != 303:
                    return
                while loop.time() < stop_at:
                    began = loop.time()
                    try:
                        answer = await http.get(f"/api/v1/lobby/outlets/{OUTLET}/dashboard")
                    except httpx.HTTPError as exc:
                        stats.errors[f"dashboard {type(exc).__name__}"] += 1
                        continue
                    record("dashboard", began, answer.status_code)
                    await asyncio.sleep(SCREEN_PAUSE_S)

        async def one_sign_in() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                with contextlib.suppress(httpx.HTTPError):
                    await signed_in(http)

        async def signing_in() -> None:
            started: list[asyncio.Task[None]] = []
            due = loop.time()
            while sign_ins and loop.time() < stop_at:  # open loop: on schedule, whatever answers
                await asyncio.sleep(max(0.0, due - loop.time()))
                due += 1 / sign_ins
                started.append(asyncio.create_task(one_sign_in()))
            await asyncio.gather(*started)

        await asyncio.gather(
            meter(),
            *(kiosk(secret, random.Random(k)) for k, secret in enumerate(fixture.kiosks)),
            *(pad(number, secret) for number, secret in fixture.pads.items()),
            *(screen() for _ in range(screens)),
            signing_in(),
        )
    return stats


# --- checking and reporting -------------------------------------------------------------


@dataclass
class Check:
    tickets: int
    called_events: int
    called_twice: int  # ticket legs with more than one 'called' event
    number_problems: int  # (day, prefix) sequences with a gap or a duplicate
    client_duplicates: int  # ticket ids call-next handed out more than once

    @property
    def ok(self) -> bool:
        return not (self.called_twice or self.number_problems or self.client_duplicates)


def check(url: str, stats: Stats) -> Check:
    db = Database(url)
    with db.session() as session:
        outlet_id = session.scalar(select(Unit.id).where(Unit.code == OUTLET))
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
    db.dispose()
    bad = sum(1 for n, distinct, low, high in sequences if not (n == distinct == high and low == 1))
    return Check(
        tickets=int(tickets or 0),
        called_events=int(called_events or 0),
        called_twice=int(called_twice or 0),
        number_problems=bad,
        client_duplicates=len(stats.called) - len(set(stats.called)),
    )


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(engine: str, args: argparse.Namespace, stats: Stats, result: Check) -> bool:
    seconds = args.seconds
    server = "stock uvicorn" if args.stock_uvicorn else "uvicorn with TCP_NODELAY fix"
    print(
        f"\n{engine}: {server}, --workers {args.workers}, {seconds:g} s measured after "
        f"{args.warmup:g} s warm-up, {args.kiosks} kiosks, {args.tellers} tellers, "
        + (f"open loop at {args.rate:g} ticket ops/s offered" if args.rate else "closed loop")
        + (f", {args.screens} dashboards" if args.screens else "")
        + (f", {args.sign_ins:g} sign-ins/s" if args.sign_ins else "")
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
            "cores); the database server's own CPU is not included"
        )
    errors = sum(stats.errors.values())
    print(f"  errors: {errors}" + (f" ({dict(stats.errors)})" if errors else ""))
    print(
        f"  database: {result.tickets} tickets (kiosks were given {stats.issued}), "
        f"{result.called_events} calls (pads were given {len(stats.called)}); "
        f"{result.called_twice} legs called twice, {result.number_problems} numbering "
        f"problems, {result.client_duplicates} tickets handed to two pads -> "
        + ("OK" if result.ok else "FAILED")
    )
    met = rate >= GOAL_OPS and worst_p99 <= GOAL_P99_MS
    goal = f">= {GOAL_OPS:.0f} ticket ops/s with p99 <= {GOAL_P99_MS:.0f} ms"
    label = "goal" if engine == "postgresql" else "PostgreSQL goal, for comparison"
    print(f"  {label} ({goal}): " + ("met" if met else "NOT met"))
    return result.ok and not errors


def run(engine: str, args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="manyi-bench-") as tmp:
        workdir = Path(tmp)
        url = fresh_url(engine, workdir)
        print(f"[{engine}] preparing {redact(url)} ...", flush=True)
        fixture = prepare(url, args.kiosks, args.tellers)
        port = free_port()
        server = start_server(url, port, workdir, args.stock_uvicorn, args.workers)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server)
            print(f"[{engine}] server up on port {port}; driving ...", flush=True)
            stats = asyncio.run(
                drive(
                    f"http://127.0.0.1:{port}",
                    fixture,
                    args.seconds,
                    args.warmup,
                    server.pid,
                    args.httpx,
                    args.rate,
                    args.screens,
                    args.sign_ins,
                )
            )
        finally:
            stop_server(server)
            log = (workdir / "server.log").read_text(errors="replace").strip()
        if log:
            print(f"[{engine}] server log (last lines):\n" + "\n".join(log.splitlines()[-15:]))
        return report(engine, args, stats, check(url, stats))


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


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
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    ok = all([run(engine, args) for engine in engines])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
