"""Running a coroutine to the end from synchronous code (`run`).

The worker's jobs and the CLI are synchronous and call asyncio clients (nats-py) with
`asyncio.run`. That refuses when the calling thread already runs an event loop: an ASGI handler,
or a process that drives a browser through Playwright's synchronous API (the test suite). Then
the coroutine runs on a fresh loop in a thread of its own, and the caller waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)`, also where this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1, thread_name_prefix="manyi-aio") as pool:
        return pool.submit(asyncio.run, coroutine).result()
