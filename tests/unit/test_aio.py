"""`manyi.aio.run`: a coroutine run to the end from synchronous code, inside a loop or not.

Each case runs on a fresh thread of its own: the test worker's main thread may already run a
loop (Playwright's synchronous API keeps one there once an e2e module has run in the worker)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from manyi import aio

T = TypeVar("T")


def _on_a_fresh_thread(call: Callable[[], T]) -> T:
    with ThreadPoolExecutor(1, thread_name_prefix="caller") as pool:
        return pool.submit(call).result()


async def _where(value: int) -> tuple[int, str]:
    await asyncio.sleep(0)
    return value, threading.current_thread().name


def test_without_a_running_loop_it_runs_on_the_callers_thread() -> None:
    value, thread = _on_a_fresh_thread(lambda: aio.run(_where(3)))
    assert value == 3
    assert thread.startswith("caller")


def test_inside_a_running_loop_it_runs_on_a_thread_of_its_own() -> None:
    # asyncio.run itself refuses here ("cannot be called from a running event loop").
    async def caller() -> tuple[int, str]:
        return aio.run(_where(5))

    value, thread = _on_a_fresh_thread(lambda: asyncio.run(caller()))
    assert value == 5
    assert thread.startswith("manyi-aio")
