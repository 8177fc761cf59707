"""Live lobby events across real uvicorn worker processes, on both engines.

manyi runs as a subprocess, `manyi serve --workers 2` as a bank starts it, once per engine for
the module, against the PostgreSQL test database or an SQLite file. Board streams are
opened until their `hello` events show both workers. Then tickets are issued,
called and completed through the HTTP API, each request on a new connection,
so that the requests land on either worker. Every board, on both workers,
must get every `called` event, once and in id order, with the number, counter
and announcement the calling pad was given.

A board on the worker that handled a call hears of it in-process; a board on
the other worker only through PostgreSQL NOTIFY and that worker's LISTEN, or
on SQLite through that worker's watch of the file's data_version. On
Linux the test also reads from /proc which worker held each call's
connection, and checks that calls handled by one worker reached boards
served by the other.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.support.processes import (
    connection_owner,
    free_port,
    process_tree,
    stop_server,
    stop_with_workers,
    wait_healthy,
)

from manyi.db import Database
from manyi.lobby import counters
from manyi.org import device_tokens
from manyi.org import staff as staff_service
from manyi.org.model import Role
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, _empty_postgres, build_bank
from tests.live_server import SseEvent, SseReader
from tests.lobby_helpers import configure, operator

EVENTS = "/device/api/v1/lobby/events"
BOARD_TRIES = 20  # board connections to open at most until both workers serve one
DELIVERY_S = 5.0  # from the last call until every board must have every call
TELLERS = {1: "teller.a", 3: "teller.a2"}  # counter -> teller signed on there
MIN_CALLS, MAX_CALLS = 6, 16  # calls: at least 6; up to 16 until both workers handled one
# Two new interpreters importing manyi: seconds on a quiet machine, far more on a busy CI one.
START_S = 120


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, dict[str, str]]  # device kind -> Authorization header

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError as exc:
            return f"(no server output: {exc})"


def _bearer(db: Database, outlet_id: int, kind: str, counter: int | None = None) -> dict[str, str]:
    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind=kind,
            name=f"{kind} (workers test)",
            valid_days=None,  # the server processes check it on their own (real) clock
            counter=counter,
        )
    return {"Authorization": f"Bearer {secret}"}


def _prepare(url: str) -> dict[str, dict[str, str]]:
    """An outlet open around the clock, two counters with tellers signed on, device tokens.

    The server runs in other processes, on the real clock; the counters are opened at a fixed
    moment before it (FIXED_NOW) and the tokens never expire, so no time here depends on it.
    """
    if url.startswith("postgresql"):
        _empty_postgres(url)
    db = Database(url)
    try:
        outlet = build_bank(db).unit("OUT-A")
        configure(db, outlet, opens=dt.time(0), closes=None)
        with db.session() as session:
            staff_service.create_staff(
                session,
                SYSTEM,
                username="teller.a2",
                display_name="柜员甲二",
                unit_id=outlet,
                roles=[Role.TELLER],
                password=PASSWORD,
            )
        for number, teller in TELLERS.items():
            with db.session() as session:
                counters.open_counter(
                    session, operator(session, teller), "OUT-A", number, FIXED_NOW
                )
        tokens = {kind: _bearer(db, outlet, kind) for kind in ("kiosk", "display")}
        for number in TELLERS:  # a calling pad at each counter, bound to it
            tokens[f"counter_pad:{number}"] = _bearer(db, outlet, "counter_pad", number)
        return tokens
    finally:
        db.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_migrated"))
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path_factory.mktemp("workers") / "workers.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def server(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`manyi serve --workers 2` on the engine, as a bank starts it; one per engine for the
    module's tests (two interpreters importing manyi take seconds each)."""
    tokens = _prepare(engine_url)
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": engine_url,
        "MANYI_SECRET_KEY": "serve-test-" + "k" * 40,
        "MANYI_VAR_DIR": str(workdir / "var"),
        "MANYI_LOG_LEVEL": "WARNING",
        # Streams still open at the stop are cut after 1 s (a board the test closed is seen
        # gone by the server only when it next writes to it).
        "MANYI_SHUTDOWN_GRACE_S": "1",
    }
    env.pop("MANYI_WEB_WORKERS", None)  # `manyi serve --workers` must tell the workers itself
    log = workdir / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, "-c", "from manyi.cli import main; main()", "serve"]
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2"],
            env=env,
            cwd=workdir,  # no .env file there: only the variables above apply
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", port, process, log, tokens)
    workers: list[int] = []
    try:
        try:
            wait_healthy(running.base, process, seconds=START_S)
        except SystemExit as exc:  # the bench's way of giving up
            pytest.fail(f"manyi serve did not start: {exc}\n{running.output()}")
        workers = process_tree(process.pid)[1:]
        yield running
    finally:
        workers = workers or process_tree(process.pid)[1:]
        stop_with_workers(process, workers)
        print("--- manyi server output ---\n" + running.output())


@contextmanager
def server_output_on_failure(server: Server) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        exc.add_note("--- manyi server output ---\n" + (server.output().strip() or "(empty)"))
        raise


@dataclass
class Board:
    reader: SseReader
    worker: int  # pid from its hello
    called: list[SseEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    ticket_id: int
    number: str
    counter: int
    announcement: dict[str, Any]
    worker: int | None  # the worker that handled the call-next POST, if /proc told


def _open_boards(server: Server) -> list[Board]:
    """Open board streams until two of them are served by different workers."""
    boards: list[Board] = []
    for _ in range(BOARD_TRIES):
        reader = SseReader(server.base + EVENTS, headers=server.tokens["display"])
        boards.append(Board(reader, int(reader.next("hello", timeout=10).data["worker"])))
        if len({b.worker for b in boards}) >= 2:
            return boards
        time.sleep(0.1)  # the other worker may still be starting
    for board in boards:
        board.reader.close()
    pytest.fail(
        f"{BOARD_TRIES} board connections were all served by worker "
        f"{boards[0].worker}; uvicorn's second worker never took one"
    )


def _post(
    server: Server, path: str, kind: str, body: dict[str, Any] | None = None
) -> tuple[dict[str, Any], int | None]:
    """POST on a new connection; the answer and the worker that handled it (or None)."""
    with httpx.Client(base_url=server.base, timeout=10) as http:
        response = http.post(path, json=body, headers=server.tokens[kind])
        assert response.is_success, f"{path}: {response.status_code} {response.text}"
        client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        worker = connection_owner(server.port, client_port, process_tree(server.process.pid))
    answer: dict[str, Any] = response.json()
    return answer, worker


def _make_calls(server: Server) -> list[Call]:
    """Issue, call and complete tickets until both workers have handled a call
    (at least MIN_CALLS, at most MAX_CALLS)."""
    calls: list[Call] = []
    numbers = list(TELLERS)
    while len(calls) < MAX_CALLS:
        handled = {c.worker for c in calls}
        if len(calls) >= MIN_CALLS and (len(handled) >= 2 or None in handled):
            break
        counter = numbers[len(calls) % len(numbers)]
        path = f"/device/api/v1/lobby/counters/{counter}"
        issued, _ = _post(server, "/device/api/v1/lobby/tickets", "kiosk", {"service": "A"})
        answer, worker = _post(server, path + "/call-next", f"counter_pad:{counter}")
        ticket = answer["ticket"]
        assert ticket is not None and ticket["number"] == issued["number"]
        calls.append(Call(ticket["id"], ticket["number"], counter, answer["announcement"], worker))
        _post(server, path + "/complete", f"counter_pad:{counter}", {"ticket_id": ticket["id"]})
    return calls


def _collect(boards: list[Board], calls: int, seconds: float) -> None:
    """Read each board's `called` events until it has `calls` of them or time is up."""
    deadline = time.monotonic() + seconds
    for board in boards:
        while len(board.called) < calls:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                event = board.reader.next("lobby", timeout=left)
            except TimeoutError:
                return
            if event.data["kind"] == "called":
                board.called.append(event)
    # Anything more that has come by now (a call twice, say) is there to be seen.
    for board in boards:
        while True:
            try:
                event = board.reader.next("lobby", timeout=0.1)
            except TimeoutError:
                break
            if event.data["kind"] == "called":
                board.called.append(event)


def test_every_board_on_either_worker_gets_every_call(server: Server, engine_url: str) -> None:
    # PostgreSQL hands each process the others' calls as they commit (NOTIFY), in order. On
    # SQLite a process hears of the others' commits within a quarter second (data_version), so
    # a call of the other process may reach a board just after a later one of its own: every
    # call once, not necessarily in id order (docs/lobby-screens.md).
    ordered = engine_url.startswith("postgresql")
    with server_output_on_failure(server):
        boards = _open_boards(server)
        try:
            workers = set(process_tree(server.process.pid)[1:])
            assert {b.worker for b in boards} <= workers, "hello names a pid outside the server"
            calls = _make_calls(server)
            _collect(boards, len(calls), DELIVERY_S)
        finally:
            for board in boards:
                board.reader.close()

        print(
            f"{len(boards)} boards on workers {[b.worker for b in boards]}; "
            f"{len(calls)} calls handled by workers {[c.worker for c in calls]}"
        )
        expected = [(c.ticket_id, c.number, c.counter, c.announcement) for c in calls]
        for k, board in enumerate(boards):
            got = [
                (e.data["ticket_id"], e.data["number"], e.data["counter"], e.data["announcement"])
                for e in board.called
            ]
            assert (got if ordered else sorted(got)) == (
                expected if ordered else sorted(expected)
            ), (
                f"board {k} (worker {board.worker}) got {len(got)} of {len(calls)} calls "
                f"within {DELIVERY_S:g} s, or not as called; calls handled by workers "
                f"{[c.worker for c in calls]}"
            )
            ids = [e.id for e in board.called]
            increasing = all(a is not None and b is not None and a < b for a, b in pairwise(ids))
            assert increasing or not ordered, f"board {k}: `called` ids not increasing: {ids}"

        # Each call reached a board served by a worker other than the one that handled
        # its POST: through NOTIFY/LISTEN (SQLite: data_version), the only way between them.
        if all(c.worker is not None for c in calls):
            assert {c.worker for c in calls} <= workers
            for c in calls:
                elsewhere = [
                    b.worker
                    for b in boards
                    if b.worker != c.worker
                    and c.ticket_id in {e.data["ticket_id"] for e in b.called}
                ]
                assert elsewhere, f"call of {c.number} (worker {c.worker}) reached no other worker"


def test_manyi_serve_starts_the_workers_it_is_asked_for_and_stops(server: Server) -> None:
    """Issue 16 #3: `manyi serve --workers N` runs N web processes, on either engine, and
    tells them they share the database (MANYI_WEB_WORKERS; the fixture's environment has
    none). Runs last: it stops the server."""
    workers: list[int] = []
    deadline = time.monotonic() + START_S
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = [
            pid
            for pid in process_tree(server.process.pid)[1:]
            if b"MANYI_WEB_WORKERS=2" in Path(f"/proc/{pid}/environ").read_bytes()
        ]
        time.sleep(0.2)
    assert len(workers) >= 2, process_tree(server.process.pid)
    # A stop with a screen still connected ends by itself after the grace (its event stream
    # never ends; uvicorn alone would wait for it for ever) rather than being killed.
    board = SseReader(server.base + EVENTS, headers=server.tokens["display"])
    try:
        board.next("hello", timeout=10)
        stop_server(server.process)  # SIGTERM; SIGKILL only after 20 s
    finally:
        board.close()
    assert server.process.returncode != -signal.SIGKILL, server.output()
