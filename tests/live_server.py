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
from contextlib import contextmanager, suppress
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


class TcpProxy:
    """A TCP relay in front of a test server whose link can be cut, as a network drops.

    `cut()` closes every open connection and refuses new ones until `restore()`.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._down = threading.Event()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for s in sockets:
            with self._lock:
                self._open.discard(s)
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def cut(self) -> None:
        self._down.set()
        with self._lock:
            victims = list(self._open)
        self._drop(*victims)

    def restore(self) -> None:
        self._down.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()
