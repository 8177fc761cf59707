"""The body cap refuses before reading when the size is declared, and stops at the cap when not."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.types import Message, Receive, Scope, Send

from manyi.web.body_limit import BodyCap, BodyLimitMiddleware, BodyTooLarge

CAP = BodyCap("POST", r"/things/\d+/upload", 100, "too large")
CHUNK = b"x" * 30


class Client:
    """Sends `chunks` of body one message at a time and counts what was taken."""

    def __init__(self, chunks: int) -> None:
        self.left = chunks
        self.taken = 0

    async def receive(self) -> Message:
        self.taken += 1
        self.left -= 1
        return {"type": "http.request", "body": CHUNK, "more_body": self.left > 0}


async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body, as form parsing does."""
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)


def run(
    path: str, client: Client, headers: list[tuple[bytes, bytes]], method: str = "POST"
) -> None:
    scope: Scope = {"type": "http", "method": method, "path": path, "headers": headers}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent by the middleware itself")

    app = BodyLimitMiddleware(read_all, [CAP])
    # In a thread of its own: in the full suite Playwright keeps an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, client.receive, send)).result()


def test_a_declared_length_over_the_cap_is_refused_before_any_read() -> None:
    client = Client(chunks=10)
    with pytest.raises(BodyTooLarge) as refused:
        run("/things/7/upload", client, [(b"content-length", b"300")])
    assert client.taken == 0
    assert refused.value.status_code == 413 and refused.value.cap is CAP


def test_a_body_without_a_length_is_read_only_until_it_passes_the_cap() -> None:
    client = Client(chunks=10)  # 300 bytes in all
    with pytest.raises(BodyTooLarge):
        run("/things/7/upload", client, [])
    assert client.taken == 4  # 120 bytes: the first piece past 100


def test_a_body_that_lied_about_its_length_is_still_stopped() -> None:
    client = Client(chunks=10)
    with pytest.raises(BodyTooLarge):
        run("/things/7/upload", client, [(b"content-length", b"50")])
    assert client.taken == 4


def test_a_body_within_the_cap_and_other_routes_pass() -> None:
    run("/things/7/upload", Client(chunks=3), [(b"content-length", b"90")])
    run("/things/7/upload", Client(chunks=3), [])
    run("/things/7/other", Client(chunks=10), [(b"content-length", b"300")])
    run("/things/7/upload", Client(chunks=10), [(b"content-length", b"300")], method="PUT")
    run("/things/x/upload", Client(chunks=10), [])
