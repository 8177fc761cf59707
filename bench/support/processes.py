"""The server under test as a subprocess: start, wait for, stop; its processes in /proc.

Shared by bench/lobby_api.py, bench/board_latency.py and
tests/integration/test_realtime_workers.py.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# uvicorn --workers binds the listening socket itself with proto 0; accepted sockets
# inherit it, asyncio then leaves TCP_NODELAY off, and every keep-alive response waits
# ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open at uvicorn 0.54). This
# launcher gives the socket proto IPPROTO_TCP, as the proposed fix does (uvicorn#3154);
# `stock` (bench/lobby_api.py --stock-uvicorn) runs uvicorn unchanged to show the difference.
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


MANYI_APP = "manyi.web.main:create"
# bench/support/floor_app.py as uvicorn imports it: bench/ goes first on its path (--app-dir).
FLOOR_APP = "support.floor_app:create"


def start_server(
    url: str, port: int, workdir: Path, stock: bool, workers: int = 2, app: str = MANYI_APP
) -> subprocess.Popen[bytes]:
    """uvicorn serving `app` (a factory): manyi, or the lobby bench's floor (FLOOR_APP)."""
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
        app,
        "--factory",
        *(("--app-dir", str(Path(__file__).resolve().parent.parent)) if app == FLOOR_APP else ()),
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


# --- the server's processes (Linux /proc) -----------------------------------------------


def _processes() -> dict[int, tuple[int, str, float]] | None:
    """Each process's parent, command and CPU seconds so far, from one read of its
    /proc/<pid>/stat (Linux); None where /proc is missing."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        found: dict[int, tuple[int, str, float]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    head, _, rest = (entry / "stat").read_text().rpartition(")")
                    fields = rest.split()
                    cpu = (int(fields[11]) + int(fields[12])) / tick
                    found[int(entry.name)] = (int(fields[1]), head.partition("(")[2], cpu)
    except (OSError, ValueError):
        return None
    return found


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by a process and its descendants (Linux /proc; else nan)."""
    found = _processes()
    if found is None:
        return float("nan")
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _, _) in found.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(found[pid][2] for pid in tree if pid in found)


def named_cpu_s(name: str) -> float:
    """CPU seconds used so far by every process whose command is `name` (Linux /proc: the
    PostgreSQL server's, "postgres"); nan where /proc is missing or none runs here."""
    used = [cpu for _, command, cpu in (_processes() or {}).values() if command == name]
    return sum(used) if used else float("nan")


def process_tree(root: int) -> list[int]:
    """`root` and its descendants; just [root] where /proc is missing."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = [root]
    for pid in tree:  # grows while it is walked
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def connection_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The process among `pids` holding the server end of the loopback TCP
    connection from `client_port` to `server_port`; None if not found."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                local, remote, inode = cols[1], cols[2], cols[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                    and inode != "0"
                ):
                    inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for pid in pids:
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{pid}/fd")
            for fd in fds.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None


def stop_with_workers(server: subprocess.Popen[bytes], workers: list[int]) -> None:
    """Stop the server as stop_server does. A master that had to be killed
    leaves its workers running: kill those too, by the pids taken while it ran."""
    stop_server(server)
    if server.returncode == -signal.SIGKILL:
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
