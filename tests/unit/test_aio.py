"""`manyi.aio.run`: a coroutine run to the end from synchronous code, inside a loop or not."""

from __future__ import annotations

import asyncio
import threading

from manyi import aio


async def _where(value: int) -> tuple[int, str]:
    await asyncio.sleep(0)
    return value, threading.current_thread().name


def test_without_a_running_loop_it_runs_here() -> None:
    assert aio.run(_where(3)) == (3, threading.current_thread().name)


def test_inside_a_running_loop_it_runs_on_a_thread_of_its_own() -> None:
    # As in a process driving a browser through Playwright's synchronous API, where
    # asyncio.run refuses ("cannot be called from a running event loop").
    async def caller() -> tuple[int, str]:
        return aio.run(_where(5))

    value, thread = asyncio.run(caller())
    assert value == 5
    assert thread.startswith("manyi-aio")
