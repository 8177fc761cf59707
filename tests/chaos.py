"""Faults for the chaos tests: a manyi server in a process of its own that can be killed with
SIGKILL, a PostgreSQL cluster of the test's own that can be restarted, and lobby load.

`AppServers` runs `manyi.web.main:create` under uvicorn in a child process whose clock starts
where the test's clock is (FIXED_NOW plus the seconds since the test began) and ticks, so a
restarted server carries on from the same moment rather than jumping back. `LobbyLoad`
drives kiosks and calling pads with httpx threads and records every answer. `PgCluster`
initialises a throw-away cluster (as the `postgres` user when run as root) on a free port:
restarting it never touches the server the other tests share.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET = "chaos-secret-key-" + "x" * 32

# The servers' parent (a "zygote"): it imports manyi once, then forks a server for each line
# "<iso time> <ready file>" it reads, and answers the child's pid. A child travels to the test's
# moment (ticking), builds the app as `manyi serve` does, says it is ready, and serves on the
# listening socket inherited from the test. Forking a warmed-up parent makes a server in well
# under a second where a fresh interpreter takes seconds on a busy machine.
ZYGOTE = """
import datetime as dt, os, pathlib, signal, socket, sys
import fastapi, time_machine, uvicorn
import manyi.web.main
from manyi.web import wiring
wiring.install_routes(fastapi.FastAPI())  # imports every router, once
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed servers
for line in sys.stdin:
    at, ready = line.split()
    pid = os.fork()
    if pid == 0:
        os.dup2(2, 1)  # stdout is the pid channel: the server writes to the log
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        time_machine.travel(dt.datetime.fromisoformat(at), tick=True).start()
        app = manyi.web.main.create()
        sock = socket.socket(fileno=int(sys.argv[1]))
        config = uvicorn.Config(app, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        pathlib.Path(ready).touch()
        server.run(sockets=[sock])
        os._exit(0)
    print(pid, flush=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChaosClock:
    """FIXED_NOW, moving with the wall clock from the test's start."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def now(self) -> dt.datetime:
        return FIXED_NOW + dt.timedelta(seconds=time.monotonic() - self._started)


@dataclass
class Child:
    pid: int
    ready: Path

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True


class AppServers:
    """manyi server processes sharing one listening socket, as `manyi serve --workers N` or a
    process manager runs them: each can be killed with SIGKILL while the others (or one
    started in its place) carry on. A child is ready (app built) before it serves.
    """

    def __init__(self, database_url: str, clock: ChaosClock, directory: Path) -> None:
        self.clock = clock
        self.directory = directory
        self.log = directory / "servers.log"
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.set_inheritable(True)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.children: list[Child] = []
        self.kills = 0
        env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "MANYI_DATABASE_URL": database_url,
            "MANYI_SECRET_KEY": SECRET,
            "MANYI_LOG_LEVEL": "WARNING",
        }
        with self.log.open("ab") as err:
            self.zygote = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE, str(self.sock.fileno())],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                pass_fds=(self.sock.fileno(),),
            )

    def spawn(self) -> Child:
        assert self.zygote.stdin is not None and self.zygote.stdout is not None
        ready = self.directory / f"ready-{len(self.children)}"
        self.zygote.stdin.write(f"{self.clock.now().isoformat()} {ready}\n".encode())
        self.zygote.stdin.flush()
        answer = self.zygote.stdout.readline()
        if not answer:
            raise RuntimeError(f"the servers' parent stopped: see {self.log}")
        child = Child(int(answer), ready)
        self.children.append(child)
        return child

    def wait_ready(self, *children: Child, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for child in children:
            while not child.ready.exists():
                if not child.alive():
                    raise RuntimeError(f"a server stopped while starting: see {self.log}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a server was not ready in {timeout} s")
                time.sleep(0.05)

    def start(self, count: int = 1) -> list[Child]:
        children = [self.spawn() for _ in range(count)]
        self.wait_ready(*children)
        return children

    def kill(self, child: Child) -> None:
        """SIGKILL: no shutdown, no rollback by the app, open transactions cut mid-way."""
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while child.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.kills += 1

    def stop(self) -> None:
        for child in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children:
            while child.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
        self.zygote.kill()
        self.zygote.wait(timeout=10)
        self.sock.close()

    def server_errors(self) -> list[str]:
        """Lines of the servers' log that report a 500 (an unhandled error)."""
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if "unhandled error" in line]


@dataclass
class LobbyLoad:
    """Kiosks taking numbers and calling pads calling and completing, until stopped.

    Every answer is counted by status ("no answer" when the server was gone); what the
    server confirmed is kept to be checked against the database afterwards.
    """

    base_url: str
    kiosk_secret: str
    pads: dict[int, str]  # counter number -> calling pad secret
    services: tuple[str, ...] = ("A", "B")
    statuses: Counter[str] = field(default_factory=Counter)
    issued: list[str] = field(default_factory=list)  # numbers the kiosk was given (201)
    completed: list[int] = field(default_factory=list)  # tickets a pad completed (200)
    bodies_5xx: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, kiosks: int = 2) -> None:
        for i in range(kiosks):
            self._spawn(self._kiosk, self.services[i % len(self.services)])
        for number, secret in self.pads.items():
            self._spawn(self._pad, number, secret)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _send(
        self, client: httpx.Client, path: str, body: dict[str, object] | None = None
    ) -> httpx.Response | None:
        try:
            response = client.post(path, json=body)
        except httpx.HTTPError:
            with self._lock:
                self.statuses["no answer"] += 1
            time.sleep(0.1)  # the server is gone: it is being restarted
            return None
        with self._lock:
            self.statuses[str(response.status_code)] += 1
            if response.status_code >= 500:
                self.bodies_5xx.append(f"{response.status_code} {path}: {response.text[:200]}")
        if response.status_code == 503:
            time.sleep(0.2)
        return response

    def _client(self, secret: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=httpx.Timeout(10.0, connect=2.0),
        )

    def _kiosk(self, service: str) -> None:
        with self._client(self.kiosk_secret) as client:
            while not self._stop.is_set():
                response = self._send(client, "/device/api/v1/lobby/tickets", {"service": service})
                if response is not None and response.status_code == 201:
                    with self._lock:
                        self.issued.append(response.json()["number"])
                time.sleep(random.uniform(0.01, 0.05))

    def _pad(self, number: int, secret: str) -> None:
        base = f"/device/api/v1/lobby/counters/{number}"
        with self._client(secret) as client:
            while not self._stop.is_set():
                called = self._send(client, f"{base}/call-next")
                if called is None or called.status_code not in (200, 409):
                    continue
                if called.status_code == 409:
                    # The counter still has a customer: a call whose answer was lost when the
                    # server died after committing it. The pad finishes that one first.
                    body = None
                else:
                    ticket = called.json()["ticket"]
                    if ticket is None:  # nobody waiting
                        time.sleep(0.05)
                        continue
                    body = {"ticket_id": ticket["id"]}
                done = self._send(client, f"{base}/complete", body)
                if done is not None and done.status_code == 200:
                    with self._lock:
                        self.completed.append(int(done.json()["ticket"]["id"]))


def kill_at_random_moments(
    servers: AppServers, serving: list[Child], busy: tuple[float, float] = (0.4, 1.2)
) -> None:
    """Kill each of the `serving` servers in turn, at a random moment of the load.

    They were warmed up together; after the first kill a fresh one starts in the place of the
    dead, as a process manager would start it, and serves on after the last kill: each kill
    cuts whatever that process had in flight (a take-a-number, a call-next, a complete).
    """
    replacement: Child | None = None
    for victim in serving:
        time.sleep(random.uniform(*busy))
        servers.kill(victim)
        if replacement is None:
            replacement = servers.spawn()
    assert replacement is not None
    servers.wait_ready(replacement)
    time.sleep(busy[1])  # the replacement alone, after every other was killed


class PgCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, a free port)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0  # initdb refuses root

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()

    def _options(self) -> str:
        # Its own socket directory: none of the shared server's.
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-w", "-l",
                  str(self.directory / "log"), "start")  # fmt: skip

    def restart(self) -> None:
        """A fast restart: every connection is cut, open transactions roll back."""
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-m", "fast", "-w",
                  "-l", str(self.directory / "log"), "restart")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, FileNotFoundError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def pg_available() -> bool:
    return (PG_BIN / "initdb").exists()
