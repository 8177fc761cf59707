"""The devices' units of work run on a pool of MANYI_UNIT_OF_WORK_THREADS threads (issue 22)."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from manyi.config import Settings
from manyi.web import hand_off, security


class _Unit:
    """A stand-in for `Database.session()`: the work gets a session-like object."""

    def __enter__(self) -> object:
        return object()

    def __exit__(self, *exc: object) -> None:
        return None


def _request() -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(db=None)))


def _most_at_once(threads: int, works: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run `works` units of work on a pool of `threads`; how many ran at the same time. Each
    waits until `threads` of them are in (a barrier), so the pool must run that many together."""
    monkeypatch.setattr(security, "unit_of_work", lambda request: _Unit())
    security.size_units_of_work(threads)
    together = threading.Barrier(threads, timeout=30)
    lock = threading.Lock()
    running, most = 0, 0

    def work(session: object) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        together.wait()
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(security.in_unit_of_work(_request(), work) for _ in range(works)))

    # On a thread of its own: a test before may have left this one's event loop running.
    with ThreadPoolExecutor(1) as runner:
        runner.submit(asyncio.run, main()).result()
    return most


def test_the_pool_runs_as_many_units_as_it_has_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        assert _most_at_once(2, 6, monkeypatch) == 2
        assert _most_at_once(3, 9, monkeypatch) == 3  # resized: a new pool of three
    finally:
        security.size_units_of_work(security.UNIT_OF_WORK_THREADS)


def test_the_setting_defaults_to_a_few_threads_and_refuses_none() -> None:
    assert Settings().unit_of_work_threads == security.UNIT_OF_WORK_THREADS == 4
    with pytest.raises(ValidationError, match="unit_of_work_threads"):
        Settings(unit_of_work_threads=0)
    with pytest.raises(ValueError, match="thread"):
        security.size_units_of_work(0)


# --- the hand-off itself (web/hand_off.py) ------------------------------------------------

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def _on_a_loop(main: Any) -> Any:
    """`asyncio.run(main)` on a thread of its own (a test before may have left a loop here)."""
    with ThreadPoolExecutor(1) as runner:
        return runner.submit(asyncio.run, main).result()


def test_the_work_answers_in_the_callers_context_and_its_error_reaches_the_caller() -> None:
    threads = hand_off.Threads(2, "test-hop")
    try:

        def who() -> tuple[str, str]:
            return _REQUEST_ID.get(), threading.current_thread().name

        def fails() -> None:
            raise LookupError("no such ticket")

        async def main() -> tuple[tuple[str, str], str]:
            _REQUEST_ID.set("req-42")
            answer = await threads.run(who)
            with pytest.raises(LookupError, match="no such ticket"):
                await threads.run(fails)
            return answer, threading.current_thread().name

        (request_id, worker), caller = _on_a_loop(main())
        assert request_id == "req-42"
        assert worker.startswith("test-hop_") and worker != caller
    finally:
        threads.stop()


def test_work_whose_caller_gave_up_before_it_began_is_not_run() -> None:
    threads = hand_off.Threads(1, "test-hop")
    release = threading.Event()
    ran: list[str] = []
    try:

        async def main() -> None:
            busy = asyncio.ensure_future(threads.run(release.wait))  # holds the one thread
            await asyncio.sleep(0.05)
            waiting = asyncio.ensure_future(threads.run(lambda: ran.append("issued")))
            await asyncio.sleep(0.05)
            waiting.cancel()  # the client went away while its work still queued
            release.set()
            assert await busy is True
            assert await threads.run(lambda: "after") == "after"  # the thread serves on

        _on_a_loop(main())
        assert ran == []
    finally:
        release.set()
        threads.stop()


def test_stopped_threads_end_and_a_pool_needs_a_thread() -> None:
    threads = hand_off.Threads(2, "test-hop-stop")
    assert _on_a_loop(threads.run(lambda: "up")) == "up"  # the threads are made at first work
    threads.stop()
    for thread in [t for t in threading.enumerate() if t.name.startswith("test-hop-stop_")]:
        thread.join(timeout=10)
        assert not thread.is_alive()
    with pytest.raises(ValueError, match="thread"):
        hand_off.Threads(0, "none")


def test_a_forked_process_serves_with_threads_of_its_own() -> None:
    """A server forked from a warmed-up parent (tests/chaos.py, process managers) finds none of
    the parent's threads: its first work makes its own, or it would wait forever."""
    threads = hand_off.Threads(1, "test-hop-fork")
    try:
        assert _on_a_loop(threads.run(os.getpid)) == os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: its answer is its exit code
            code = 1
            try:
                code = 0 if asyncio.run(asyncio.wait_for(threads.run(os.getpid), 10)) > 0 else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert _on_a_loop(threads.run(lambda: "parent")) == "parent"  # the parent's serve on
    finally:
        threads.stop()
