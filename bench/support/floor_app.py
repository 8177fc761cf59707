"""The lobby bench's floor: the least a ticket costs in this design, as a bare ASGI app.

It answers the three requests the bench's kiosks and calling pads send, at the same
paths and with the same status codes as manyi, and runs for each only the SQL a ticket
needs, on manyi's own tables: issuing bumps the day's number (one upsert) and inserts the
ticket; call-next claims the oldest waiting ticket a counter serves (SKIP LOCKED on
PostgreSQL); complete finishes a called ticket; each writes one lobby event. Nothing else:
no device-token look-up, no ORM, no priority rules, no audit record, no counter row, no
stream. Served by uvicorn as manyi is (`processes.start_server`, same workers), it is the
physical limit of the design on the machine it runs on (bench/lobby_api.py).

Its outlet (FLOOR_OUTLET) is another demo outlet than the one manyi is driven at, with the
same services and counters, so the bench's check reads the floor's tickets apart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import queue
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

FLOOR_OUTLET = "SH-PD-LJZ"
PAD_PATH = "/device/api/v1/lobby/counters/"
DEFAULT_SERVICES = ("A", "B", "K")  # a counter the outlet does not have serves these

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

BUMP = (
    "INSERT INTO lobby_ticket_sequences (outlet_id, day, prefix, last_seq) VALUES (%s, %s, %s, 1)"
    " ON CONFLICT (outlet_id, day, prefix)"
    " DO UPDATE SET last_seq = lobby_ticket_sequences.last_seq + 1 RETURNING last_seq"
)
INSERT_TICKET = (
    "INSERT INTO lobby_tickets (outlet_id, local_day, prefix, seq, number, service_id,"
    " service_code, klass, channel, state, issued_at, queued_at, call_count, public_token)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, 'normal', 'kiosk', 'waiting', %s, %s, 0, %s)"
    " RETURNING id"
)
CLAIM = (
    "UPDATE lobby_tickets SET state = 'called', counter_id = %s, call_count = call_count + 1,"
    " first_called_at = %s, last_called_at = %s"
    " WHERE state = 'waiting' AND id = (SELECT id FROM lobby_tickets"
    " WHERE outlet_id = %s AND state = 'waiting' AND service_code {codes}"
    " ORDER BY queued_at, id LIMIT 1{lock}) RETURNING id, number"
)
COMPLETE = (
    "UPDATE lobby_tickets SET state = 'finished', outcome = 'served',"
    " started_at = COALESCE(started_at, %s), finished_at = %s"
    " WHERE id = %s AND outlet_id = %s AND state IN ('called', 'serving') RETURNING number"
)
EVENT = (
    "INSERT INTO lobby_events (outlet_id, at, kind, ticket_id, counter_id, data)"
    " VALUES (%s, %s, %s, %s, %s, '{}')"
)


class Floor:
    """One worker's floor: its outlet's services and counters, read once, and idle
    connections handed to the threads that run the requests' transactions."""

    def __init__(self, url: str) -> None:
        self.postgres = not url.startswith("sqlite")
        if self.postgres:
            self.conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        else:
            self.path = url.split("///", 1)[1]
        self.idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        conn = self.connect()
        try:
            self.outlet = self.one(conn, "SELECT id FROM units WHERE code = %s", FLOOR_OUTLET)[0]
            rows = self.all(
                conn,
                "SELECT code, id, prefix FROM lobby_services WHERE outlet_id = %s",
                self.outlet,
            )
            self.services = {code: (sid, prefix) for code, sid, prefix in rows}
            rows = self.all(
                conn,
                "SELECT number, id, services FROM lobby_counters WHERE outlet_id = %s",
                self.outlet,
            )
            self.counters = {
                number: (cid, tuple(codes if isinstance(codes, list) else json.loads(codes)))
                for number, cid, codes in rows
            }
            self.rollback(conn)
        finally:
            self.idle.put(conn)

    # --- the engine's few differences --------------------------------------------------

    def connect(self) -> Any:
        if self.postgres:
            return psycopg.connect(self.conninfo)
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=30000"):
            conn.execute("PRAGMA " + pragma)
        return conn

    def sql(self, text: str) -> str:
        return text if self.postgres else text.replace("%s", "?")

    def all(self, conn: Any, text: str, *params: Any) -> list[Any]:
        return list(conn.execute(self.sql(text), params).fetchall())

    def one(self, conn: Any, text: str, *params: Any) -> Any:
        return conn.execute(self.sql(text), params).fetchone()

    def run(self, conn: Any, text: str, *params: Any) -> None:
        conn.execute(self.sql(text), params)

    def begin(self, conn: Any) -> None:
        if not self.postgres:  # writers serialised from the start, as manyi does
            conn.execute("BEGIN IMMEDIATE")

    def rollback(self, conn: Any) -> None:
        if self.postgres or conn.in_transaction:
            conn.rollback()

    def stamp(self, value: dt.datetime | dt.date) -> Any:
        """What the driver takes: PostgreSQL's, as is; SQLite's, SQLAlchemy's text form."""
        if self.postgres or not isinstance(value, dt.datetime):
            return value if self.postgres else value.isoformat()
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    # --- the three transactions ---------------------------------------------------------

    def transaction(self, work: Callable[[Any, dt.datetime], tuple[int, Any]]) -> tuple[int, Any]:
        try:
            conn = self.idle.get_nowait()
        except queue.Empty:
            conn = self.connect()
        try:
            self.begin(conn)
            answer = work(conn, dt.datetime.now(dt.UTC))
            conn.commit()
        except BaseException:
            self.rollback(conn)
            conn.close()
            raise
        self.idle.put(conn)
        return answer

    def issue(self, conn: Any, now: dt.datetime, code: str) -> tuple[int, Any]:
        if code not in self.services:
            return 422, {"detail": "unknown service"}
        service_id, prefix = self.services[code]
        at, day = self.stamp(now), self.stamp(now.date())
        seq = self.one(conn, BUMP, self.outlet, day, prefix)[0]
        number = f"{prefix}{seq:03d}"
        values = (self.outlet, day, prefix, seq, number, service_id, code, at, at)
        ticket_id = self.one(conn, INSERT_TICKET, *values, secrets.token_urlsafe(16))[0]
        self.run(conn, EVENT, self.outlet, at, "issued", ticket_id, None)
        return 201, {"ticket": {"id": ticket_id, "number": number}}

    def call(self, conn: Any, now: dt.datetime, counter: int) -> tuple[int, Any]:
        counter_id, codes = self.counters.get(counter, (None, DEFAULT_SERVICES))
        at = self.stamp(now)
        if self.postgres:
            text = CLAIM.format(codes="= ANY(%s)", lock=" FOR UPDATE SKIP LOCKED")
            row = self.one(conn, text, counter_id, at, at, self.outlet, list(codes))
        else:
            text = CLAIM.format(codes=f"IN ({', '.join('%s' for _ in codes)})", lock="")
            row = self.one(conn, text, counter_id, at, at, self.outlet, *codes)
        if row is None:
            return 200, {"ticket": None}
        self.run(conn, EVENT, self.outlet, at, "called", row[0], counter_id)
        return 200, {"ticket": {"id": row[0], "number": row[1]}}

    def complete(self, conn: Any, now: dt.datetime, counter: int, ticket: int) -> tuple[int, Any]:
        at = self.stamp(now)
        if self.one(conn, COMPLETE, at, at, ticket, self.outlet) is None:
            return 409, {"detail": "not called"}
        counter_id = self.counters.get(counter, (None, ()))[0]
        self.run(conn, EVENT, self.outlet, at, "completed", ticket, counter_id)
        return 200, {"ticket": {"id": ticket, "state": "finished"}}

    # --- HTTP ---------------------------------------------------------------------------

    def route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if method == "GET" and path == "/healthz":
            return 200, {"status": "ok"}
        if method != "POST":
            return 405, {"detail": "method not allowed"}
        if path == "/device/api/v1/lobby/tickets":
            code = str(json.loads(body or b"{}").get("service", ""))
            return self.transaction(lambda conn, now: self.issue(conn, now, code))
        if path.startswith(PAD_PATH):
            number, _, action = path.removeprefix(PAD_PATH).partition("/")
            if number.isdigit() and action == "call-next":
                return self.transaction(lambda conn, now: self.call(conn, now, int(number)))
            if number.isdigit() and action == "complete":
                ticket = int(json.loads(body)["ticket_id"])
                return self.transaction(
                    lambda conn, now: self.complete(conn, now, int(number), ticket)
                )
        return 404, {"detail": "not found"}


def create() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI app (uvicorn --factory), on MANYI_DATABASE_URL."""
    floor = Floor(os.environ["MANYI_DATABASE_URL"])

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        # The database's work on a thread, as manyi's is: the loop keeps serving others.
        status, answer = await asyncio.to_thread(floor.route, scope["method"], scope["path"], body)
        content = json.dumps(answer).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(content)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app
