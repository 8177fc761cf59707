"""Live screens across many app hosts: the realtime hub's fan-out over NATS core subjects.

`MANYI_REALTIME=nats` gives every database a `NatsHub` instead of the NOTIFY one (`register` is
called by the composition roots). A commit hands its staged events to this process's
subscribers as before and publishes them on `<prefix>.events`; every other host's hub, subscribed
to it, hands them to its own subscribers. NATS core delivery is at most once, as NOTIFY's is:
the events are rows, and a hub tells its subscribers of a gap (they re-read) whenever its
connection to NATS comes back. PostgreSQL NOTIFY stays the default for one host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from manyi import realtime

log = logging.getLogger("manyi.stream.live")
PREFIX = "manyi.live"


class NatsHub(realtime.Hub):
    """A `realtime.Hub` whose processes reach each other through NATS instead of NOTIFY."""

    def __init__(self, url: str, nats_url: str, prefix: str = PREFIX) -> None:
        super().__init__(url)
        self.postgres = False  # no NOTIFY before commit
        self.watch_sqlite = False
        self.subject = f"{prefix}.events"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="manyi-nats", daemon=True
        )
        self._thread.start()
        self._nc: Client | None = None
        connected = asyncio.run_coroutine_threadsafe(self._connect(nats_url), self._loop)
        try:
            connected.result(timeout=10)
        except Exception:
            self.close()
            raise

    async def _connect(self, nats_url: str) -> None:
        async def reconnected() -> None:
            self.listening.set()
            self.gap()  # what was published while away, subscribers re-read

        async def disconnected() -> None:
            self.listening.clear()

        self._nc = await nats.connect(
            nats_url,
            connect_timeout=5,
            max_reconnect_attempts=-1,
            reconnected_cb=reconnected,
            disconnected_cb=disconnected,
        )
        await self._nc.subscribe(self.subject, cb=self._message)
        await self._nc.flush()
        self.listening.set()

    async def _message(self, msg: Msg) -> None:
        self._received(msg.data.decode())

    def committed(self, events: Sequence[realtime.Event]) -> None:
        self.publish(events)
        nc = self._nc
        if nc is None or not events:
            return
        for payload in self.notify_payloads(events):
            asyncio.run_coroutine_threadsafe(nc.publish(self.subject, payload.encode()), self._loop)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was published has reached the server (tests, benchmarks)."""
        if self._nc is not None:
            asyncio.run_coroutine_threadsafe(self._nc.flush(), self._loop).result(timeout)

    def close(self) -> None:
        nc = self._nc
        if nc is not None and self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(nc.drain(), self._loop).result(timeout=5)
            except Exception as exc:
                log.warning("closing the NATS connection: %s", exc)
        self._nc = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        super().close()


def _factory(url: str, options: dict[str, Any]) -> realtime.Hub:
    return NatsHub(url, str(options["url"]), str(options.get("prefix") or PREFIX))


def register() -> None:
    """Let `MANYI_REALTIME=nats` databases fan out through NATS (called by the app and the CLI)."""
    realtime.register_backend("nats", _factory)


def payload_events(raw: bytes) -> list[realtime.Event]:
    """The events in one fan-out message (benchmarks read them)."""
    return [realtime.Event.from_json(item) for item in json.loads(raw)["events"]]
