"""Threads that run blocking work for the event loop: a unit of work handed off, its answer
handed back (issue 22).

The standard library's way, `loop.run_in_executor` on a `ThreadPoolExecutor`, costs some 60 µs
of CPU a hop here: a `concurrent.futures.Future` with its condition and locks, the work item,
the pool's idle semaphore, and the chaining of that future to an asyncio one through callbacks
on both sides. A device's request makes exactly one hop, so this module does only what that
needs, for about a third of the cost: an asyncio future made on the loop, the work put on a C
queue (`queue.SimpleQueue`) that a fixed set of threads take from, and the answer set on the
future from the loop's own thread (`call_soon_threadsafe`).

As with `run_in_executor`, the work runs in a copy of the caller's context (the request's id
goes along), its exception is raised at the `await`, and work whose caller gave up (its future
cancelled: the client went away) before a thread took it up is not run. Work already running
runs to its end; its answer is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Item = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[[], Any]
]


class Threads:
    """`size` daemon threads named `name`_0, `name`_1, …, serving `run` until `stop`."""

    def __init__(self, size: int, name: str) -> None:
        if size < 1:
            raise ValueError("a unit of work needs a thread")
        self.size = size
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._pid = 0  # the process whose threads serve the queue; none yet
        self._lock = threading.Lock()

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on one of the threads, awaited from the running loop."""
        if self._pid != os.getpid():
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, future, contextvars.copy_context(), work))
        return await future

    def stop(self) -> None:
        """The threads end once they have run what was handed to them before."""
        with self._lock:
            if self._pid == os.getpid():
                for _ in range(self.size):
                    self._queue.put(None)
            self._pid = -1  # started again by a later `run`, if one comes

    def _start(self) -> None:
        """The threads, made at the first work rather than at import: a process forked from
        one that has them (a server forked from a warmed-up parent) has none of them, and makes
        its own, with a queue of its own."""
        with self._lock:
            if self._pid == os.getpid():
                return
            if self._pid != 0:  # forked: the parent's queue and threads are not this process's
                self._queue = queue.SimpleQueue()
            self._pid = os.getpid()
            for i in range(self.size):
                threading.Thread(
                    target=self._serve, args=(self._queue,), name=f"{self.name}_{i}", daemon=True
                ).start()

    @staticmethod
    def _serve(work_queue: queue.SimpleQueue[_Item | None]) -> None:
        while (item := work_queue.get()) is not None:
            loop, future, context, work = item
            if future.cancelled():  # the caller gave up before it began (a read, not a race)
                continue
            value: Any = None
            error: BaseException | None = None
            try:
                value = context.run(work)
            except BaseException as exc:  # handed to the awaiting caller, as the pool did
                error = exc
            # A loop closed meanwhile (the server stopping) has nobody left to answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, value, error)
            del item, loop, future, context, work, value, error  # nothing kept until the next


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
