"""The lobby's device requests in one process, one at a time: CPU per operation, manyi against
the floor (issue 22, docs/lobby.md "Eighth round").

`bench/lobby_api.py` is the figure of record: real HTTP, two workers, clients in parallel, on a
saturated machine. This one is for finding where the CPU goes: it calls each app's ASGI entry
directly (no HTTP, no other request at the same time) for rounds of a kiosk's ticket, a calling
pad's call-next and its complete, and reads the process's CPU time (every thread) around each.
What it measures is the app's own work per request and nothing of the server or the machine's
load; a change that saves CPU here saves about as much under load. The two apps take turns in
blocks of rounds, so that the ratio holds while the shared machine's speed drifts; compare two
versions of manyi by their ratios, not their milliseconds.

PostgreSQL only (MANYI_BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/
manyi_bench): its public schema is DROPPED and recreated. Prints one JSON object as its last
line: `manyi_ms` and `floor_ms` ({issue, call, complete, mean}) and `ratio` (manyi's mean over
the floor's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Run as a script, bench/ is sys.path[0]: its shared code is the package `support`.
from support.lobby_fixture import Fixture, fresh_url, prepare, redact

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
TICKETS = "/device/api/v1/lobby/tickets"
PAD = "/device/api/v1/lobby/counters/1/"


async def post(app: App, path: str, secret: str, body: object | None) -> tuple[int, Any]:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", b"Bearer " + secret.encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError("unreachable")

    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return int(answer["status"]), json.loads(answer["body"])


async def started(app: App) -> None:
    """The app's lifespan startup (its hub, its caches), left running."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    up = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            up.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    asyncio.get_running_loop().create_task(app(scope, messages.get, send))
    await up.wait()


async def drain(app: App, pad: str) -> None:
    """Nobody waiting: call and complete whoever is."""
    while True:
        status, called = await post(app, PAD + "call-next", pad, None)
        if status != 200 or called.get("ticket") is None:
            return
        await post(app, PAD + "complete", pad, {"ticket_id": called["ticket"]["id"]})


async def rounds_of(app: App, kiosk: str, pad: str, rounds: int, spent: dict[str, float]) -> None:
    """`rounds` of issue, call-next, complete; the CPU seconds of each added to `spent`."""
    for _ in range(rounds):
        began = time.process_time()
        status, _ = await post(app, TICKETS, kiosk, {"service": "A"})
        issued = time.process_time()
        assert status == 201, status
        status, called = await post(app, PAD + "call-next", pad, None)
        call_done = time.process_time()
        assert status == 200 and called["ticket"] is not None, (status, called)
        status, _ = await post(app, PAD + "complete", pad, {"ticket_id": called["ticket"]["id"]})
        assert status == 200, status
        spent["issue"] += issued - began
        spent["call"] += call_done - issued
        spent["complete"] += time.process_time() - call_done


def figures(spent: dict[str, float], rounds: int) -> dict[str, float]:
    """ms of CPU per operation, and their mean."""
    out = {op: round(s / rounds * 1000, 3) for op, s in spent.items()}
    out["mean"] = round(sum(spent.values()) / rounds / 3 * 1000, 3)
    return out


async def measure(
    apps: dict[str, App], kiosk: str, pad: str, rounds: int, warmup: int, block: int
) -> dict[str, dict[str, float]]:
    """ms of CPU per operation for each app: `warmup` rounds each first, then blocks of
    `block` rounds taking turns, so that the machine's drift (a shared host's speed changes
    by tens of percent within minutes) weighs on every app alike."""
    spent = {name: {"issue": 0.0, "call": 0.0, "complete": 0.0} for name in apps}
    for app in apps.values():
        await drain(app, pad)
        await rounds_of(app, kiosk, pad, warmup, {"issue": 0.0, "call": 0.0, "complete": 0.0})
    done = 0
    while done < rounds:
        n = min(block, rounds - done)
        for name, app in apps.items():
            await rounds_of(app, kiosk, pad, n, spent[name])
        done += n
    return {name: figures(s, rounds) for name, s in spent.items()}


def prepared(workdir: Path) -> Fixture:
    """The bench's database made afresh with one kiosk and one teller's calling pad, and this
    process's environment set for manyi's app on it (its files under `workdir`)."""
    url = fresh_url("postgresql", workdir)
    print(f"preparing {redact(url)} ...", flush=True)
    fixture = prepare(url, 1, 1)
    os.environ.update(
        MANYI_DATABASE_URL=url,
        MANYI_SECRET_KEY=secrets.token_urlsafe(48),
        MANYI_LOG_LEVEL="WARNING",
        MANYI_VAR_DIR=str(workdir / "var"),
    )
    return fixture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1500, help="measured rounds (default 1500)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured rounds first")
    parser.add_argument(
        "--block", type=int, default=100, help="rounds of one app before the other's turn"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="manyi-bench-") as tmp:
        fixture = prepared(Path(tmp))
        from support.floor_app import create as create_floor

        from manyi.web.main import create

        kiosk, pad = fixture.kiosks[0], fixture.pads[1]

        async def both() -> dict[str, dict[str, float]]:
            manyi = create()
            await started(manyi)
            # The device lane takes a token this process has seen: a first round for each.
            await post(manyi, TICKETS, kiosk, {"service": "A"})
            _, called = await post(manyi, PAD + "call-next", pad, None)
            await post(manyi, PAD + "complete", pad, {"ticket_id": called["ticket"]["id"]})
            apps = {"manyi": manyi, "floor": create_floor()}
            return await measure(apps, kiosk, pad, args.rounds, args.warmup, args.block)

        measured = asyncio.run(both())
    mine, floor = measured["manyi"], measured["floor"]
    ratio = round(mine["mean"] / floor["mean"], 2) if floor["mean"] else 0.0
    print(f"manyi {mine} ms; the floor {floor} ms; manyi / floor {ratio}")
    print(json.dumps({"manyi_ms": mine, "floor_ms": floor, "ratio": ratio}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
