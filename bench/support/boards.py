"""Display boards as the bench sees them: an event stream per board, each `called` event
timestamped as soon as it is read."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

EVENTS_PATH = "/device/api/v1/lobby/events"


@dataclass
class Board:
    pid: int  # the worker serving this stream
    arrivals: dict[int, float] = field(default_factory=dict)  # ticket id -> perf_counter
    event_ids: list[int] = field(default_factory=list)  # of its `called` events, as read
    task: asyncio.Task[None] | None = None


async def open_board(
    base: str, secret: str
) -> tuple[httpx.AsyncClient, httpx.Response, Board, AsyncIterator[str]]:
    """Connect a board (its own connection) and read up to its `hello` event."""
    client = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0, read=None))
    request = client.build_request(
        "GET", EVENTS_PATH, headers={"Authorization": f"Bearer {secret}"}
    )
    response = await client.send(request, stream=True)
    if response.status_code != 200:
        await response.aread()
        await client.aclose()
        raise SystemExit(f"board stream refused: {response.status_code} {response.text}")
    lines = response.aiter_lines()
    event, data = "", ""
    async for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and event == "hello":
            return client, response, Board(pid=int(json.loads(data)["worker"])), lines
    raise SystemExit("board stream ended before its hello")


async def follow(board: Board, lines: AsyncIterator[str]) -> None:
    """Timestamp each `called` event as soon as its data line is read."""
    event = ""
    async for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "lobby":
            at = time.perf_counter()
            item = json.loads(line[5:])
            if item.get("kind") == "called" and item.get("ticket_id") is not None:
                board.arrivals.setdefault(int(item["ticket_id"]), at)
                board.event_ids.append(int(item["id"]))
        elif not line:
            event = ""
