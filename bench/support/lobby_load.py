"""The lobby API's load: kiosks issuing, calling pads calling and completing, dashboards
reloading and staff signing in, as coroutines on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

import httpx

from manyi import demo

from .lobby_fixture import OUTLET, SCREEN_USER, Fixture
from .processes import named_cpu_s, tree_cpu_s
from .rawhttp import RawHttp

SCREEN_PAUSE_S = 0.5
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# Kiosk mix: mostly personal business, some fast-lane, corporate and wealth customers.
SERVICE_MIX = ("A",) * 8 + ("B",) * 6 + ("K",) * 3 + ("C",) * 2 + ("V",)
EMPTY_PAUSE_S = 0.5  # a teller who finds nobody waiting waits a moment before pressing again
RETRY_PAUSE_S = 0.05
FULL_PAUSE_S = 0.005  # a kiosk looks again this soon whether the lobby has room (max_waiting)


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=dict)  # op -> seconds, in window
    conflicts: Tally[str] = field(default_factory=Tally)  # op -> 409 answers, in window
    errors: Tally[str] = field(default_factory=Tally)  # "op status" or "op ExceptionName"
    called: list[int] = field(default_factory=list)  # ticket ids returned by call-next
    issued: int = 0  # tickets the kiosks got (whole run, warm-up included)
    server_cpu_s: float = float("nan")  # CPU time of the server processes in the window
    client_cpu_s: float = float("nan")  # CPU time of this process in the window
    # CPU time of this machine's PostgreSQL server processes in the window (all of them: the
    # bench's database is the only busy one while it runs); nan when none runs here.
    database_cpu_s: float = float("nan")


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
    max_waiting: int | None = None,
) -> Stats:
    """Kiosks and pads as coroutines on one event loop; results of the warm-up not counted.

    `screens` lobby managers' dashboards reload every SCREEN_PAUSE_S (reads); `sign_ins` staff
    sign in each second with the right password (argon2 at its production cost), as at opening
    time. Both show whether reading and signing in hold up the kiosks (issue 16 #3).

    `max_waiting`: a kiosk issues no ticket for a service while that many of its tickets are not
    yet called (the customer of another service comes in), as a full lobby stops drawing people
    in; else the closed loop's queue grows without end (kiosks issue faster than pads serve),
    and issuing pays for counting an ever longer queue.
    """
    stats = Stats()
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup
    stop_at = measure_from + seconds

    async def meter() -> None:
        await asyncio.sleep(max(0.0, measure_from - loop.time()))
        server, client = tree_cpu_s(server_pid), time.process_time()
        database = named_cpu_s("postgres")
        await asyncio.sleep(max(0.0, stop_at - loop.time()))
        stats.server_cpu_s = tree_cpu_s(server_pid) - server
        stats.client_cpu_s = time.process_time() - client
        stats.database_cpu_s = named_cpu_s("postgres") - database

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
        given: dict[int, str] = {}  # ticket id -> service, while not called (max_waiting)
        waiting: Tally[str] = Tally()  # service -> tickets given and not yet called

        async def kiosk(secret: str, rng: random.Random) -> None:
            due = loop.time() + rng.random() * interval
            while loop.time() < stop_at:
                if interval:
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    due += interval
                code = rng.choice(SERVICE_MIX)
                while max_waiting and waiting[code] >= max_waiting:  # that line is full
                    if loop.time() >= stop_at:
                        return
                    await asyncio.sleep(FULL_PAUSE_S)
                    code = rng.choice(SERVICE_MIX)  # another customer comes in
                body = {"service": code}
                answer = await post("issue", "/device/api/v1/lobby/tickets", secret, body)
                if answer is None:
                    await asyncio.sleep(RETRY_PAUSE_S)
                else:
                    stats.issued += 1
                    given[answer.get("ticket", answer)["id"]] = code  # manyi's, the floor's
                    waiting[code] += 1

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
                    code = given.pop(current, None)
                    if code is not None:
                        waiting[code] -= 1

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
