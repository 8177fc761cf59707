"""Server-Sent Events streams of a lobby: for boards, consoles and dashboards,
and a customer's own ticket.

An outlet stream sends every lobby event with its id. A client that
reconnects sends the last id it saw (`Last-Event-ID`, which browsers send by
themselves) and gets, from the database, everything after it, then the live
events. The read starts a few ids early: transactions commit in a slightly
different order than they take ids, and a client drops ids it has already
seen. A subscriber told of a gap (see `manyi.realtime`) re-reads the same
way, so a board misses nothing however its connection or the server's
notification link breaks.

The customer's stream sends only that ticket's status, recomputed when the
outlet's queue changes: the public never sees another customer's ticket.

A stream whose database goes away ends quietly (its status line was sent long ago): the
browser reconnects, and the screen asks `/healthz` why (see static/js/lobby/common.js).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from manyi import realtime
from manyi.db import UNAVAILABLE_ERRORS, Database, database_away
from manyi.lobby import events as event_log
from manyi.lobby import queries
from manyi.lobby.tables import LobbyEventRow
from manyi.parsing import ascii_int

KEEPALIVE_S = 15.0
RETRY_MS = 2000
# Read this many ids before the client's last one: late commits with lower ids.
LOOKBACK = 50
REPLAY_LIMIT = 500
SEEN = 2000
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
log = logging.getLogger("manyi.lobby.stream")


def _end_if_away(exc: Exception) -> None:
    """Re-raise unless `exc` says the database is away: then the stream just ends."""
    if not database_away(exc):
        raise exc
    log.warning("an event stream ended: the database is away (%s)", exc)


def sse(event: str, data: Any, event_id: int | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or ""
    return ascii_int(raw, high=2**63 - 1)  # "²" passes isdigit() and fails int()


def _read(db: Database, outlet_id: int, after: int | None) -> tuple[list[realtime.Event], int]:
    """Events after `after` (minus the look-back), and the outlet's newest event id."""
    with db.read() as session:
        newest = session.scalar(
            select(func.max(LobbyEventRow.id)).where(LobbyEventRow.outlet_id == outlet_id)
        )
        if after is None:
            return [], int(newest or 0)
        rows = queries.events_after(
            session, outlet_id, after - LOOKBACK, limit=REPLAY_LIMIT + LOOKBACK
        )
    read = [event_log.live_event(outlet_id, r.id, r.kind, r.at, r.ticket_id, r.data) for r in rows]
    return read, int(newest or 0)


class _Seen:
    """The ids this client has been sent (bounded)."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def add(self, event_id: int) -> bool:
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > SEEN:
            self._ids.discard(self._order.popleft())
        return True


async def _outlet_events(db: Database, outlet_id: int, after: int | None) -> AsyncIterator[bytes]:
    sub = db.hub.subscribe(event_log.topic(outlet_id))
    try:
        events, newest = await run_in_threadpool(_read, db, outlet_id, after)
        yield f"retry: {RETRY_MS}\n\n".encode()
        yield sse("hello", {"worker": os.getpid(), "last_event_id": newest})
        seen = _Seen()
        cursor = after if after is not None else newest
        # Re-reads never go back before what the client had when it connected.
        floor = after - LOOKBACK if after is not None else newest

        def fresh(batch: list[realtime.Event], read: bool = True) -> list[realtime.Event]:
            return [e for e in batch if (not read or e.id > floor) and seen.add(e.id)]

        if len(events) > REPLAY_LIMIT:
            # Too far behind to replay: the client reloads the state instead.
            yield sse("resync", {"last_event_id": newest})
            cursor = floor = newest
        else:
            for e in fresh(events):
                cursor = max(cursor, e.id)
                yield sse("lobby", e.as_json(), e.id)
        while True:
            item = await sub.get(KEEPALIVE_S)
            if item is None:
                yield b": keepalive\n\n"
                continue
            if isinstance(item, realtime.Event):
                batch = fresh([item], read=False)
            else:  # a gap: read what was missed
                batch, newest = await run_in_threadpool(_read, db, outlet_id, cursor)
                if len(batch) > REPLAY_LIMIT:
                    yield sse("resync", {"last_event_id": newest})
                    cursor = floor = newest
                    continue
                batch = fresh(batch)
            for e in batch:
                cursor = max(cursor, e.id)
                yield sse("lobby", e.as_json(), e.id)
    except UNAVAILABLE_ERRORS as exc:
        _end_if_away(exc)
    finally:
        sub.close()


def outlet_stream(request: Request, outlet_id: int) -> StreamingResponse:
    db: Database = request.app.state.db
    return StreamingResponse(
        _outlet_events(db, outlet_id, last_event_id(request)),
        media_type="text/event-stream",
        headers=HEADERS,
    )


# --- one customer's ticket -------------------------------------------------------------

COALESCE_S = 0.3
# A no-show may still be put back in the queue: its stream stays open.
FINAL_OUTCOMES = frozenset({"served", "cancelled"})


async def _ticket_status(
    db: Database, outlet_id: int, status: Callable[[Session], dict[str, Any]]
) -> AsyncIterator[bytes]:
    sub = db.hub.subscribe(event_log.topic(outlet_id))

    def load() -> dict[str, Any]:
        with db.read() as session:
            return status(session)

    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        last: dict[str, Any] | None = None
        while True:
            current = await run_in_threadpool(load)
            if current != last:
                yield sse("status", current)
                last = current
            if current.get("state") == "finished" and current.get("outcome") in FINAL_OUTCOMES:
                yield sse("end", {})
                return
            item = await sub.get(KEEPALIVE_S)
            if item is None:
                yield b": keepalive\n\n"
                continue
            # Many events come in bursts (call, then start): answer once per burst.
            await asyncio.sleep(COALESCE_S)
            sub.drain()
    except UNAVAILABLE_ERRORS as exc:
        _end_if_away(exc)
    finally:
        sub.close()


def ticket_stream(
    request: Request, outlet_id: int, status: Callable[[Session], dict[str, Any]]
) -> StreamingResponse:
    db: Database = request.app.state.db
    return StreamingResponse(
        _ticket_status(db, outlet_id, status), media_type="text/event-stream", headers=HEADERS
    )
