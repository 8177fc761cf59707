"""A real HTTP server for tests that need one (streams, browsers).

`serve(app)` runs uvicorn in a background thread on a free port of
127.0.0.1 and yields its base URL; `SseReader` follows a Server-Sent Events
stream in a thread of its own and hands the events over a queue.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn


def wait_until_healthy(base_url: str, thread: threading.Thread, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the test server thread stopped while starting")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the test server did not answer {base_url}/healthz in {seconds} s")


@contextmanager
def serve(app: Any) -> Iterator[str]:
    # Bind first and hand the socket to uvicorn: no race for the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="manyi-test-server", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: dict[str, Any]
    id: int | None


class SseReader:
    """Reads one event stream in a background thread."""

    def __init__(self, url: str, **request: Any) -> None:
        self.url = url
        self.events: queue.Queue[SseEvent | BaseException] = queue.Queue()
        self.status: int | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self._request = request
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sse-reader")
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self.url, **self._request) as response:
                self.status = response.status_code
                if response.status_code != 200:
                    response.read()
                    self.events.put(RuntimeError(f"{response.status_code}: {response.text}"))
                    return
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._closed.is_set():
                        return
                    if not line:
                        if "data" in fields:
                            raw_id = fields.get("id")
                            self.events.put(
                                SseEvent(
                                    fields.get("event", "message"),
                                    json.loads(fields["data"]),
                                    int(raw_id) if raw_id else None,
                                )
                            )
                        fields = {}
                        continue
                    if line.startswith(":"):
                        continue
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
        except BaseException as exc:
            if not self._closed.is_set():
                self.events.put(exc)

    def next(self, event: str | None = None, timeout: float = 5.0) -> SseEvent:
        """The next event (of the given type, skipping others) within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {event or 'event'} from {self.url} in {timeout} s")
            try:
                item = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            if event is None or item.event == event:
                return item

    def close(self) -> None:
        self._closed.set()
        # A reader blocked on the socket ends when the server closes the stream.
        self._thread.join(timeout=0.2)

    def __enter__(self) -> SseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
