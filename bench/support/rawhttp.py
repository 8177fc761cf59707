"""A lean HTTP/1.1 client for the bench's JSON POSTs."""

from __future__ import annotations

import asyncio
import contextlib
import json


class RawHttp:
    """One keep-alive HTTP/1.1 connection, just enough for this bench's JSON POSTs.

    The bench shares the machine's two cores with the server it measures;
    this client costs a fraction of httpx's CPU per request, which leaves
    more to the server. `--httpx` runs the same load through httpx instead.
    """

    # uvicorn's workers share one listening socket and a kept-alive connection
    # stays with the worker that accepted it; with a dozen clients one worker
    # can end up with nearly all of them while the other idles. Reconnecting
    # now and then spreads the load the way a load balancer's traffic would.
    REQUESTS_PER_CONNECTION = 25

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0

    async def post(self, path: str, payload: object, secret: str) -> tuple[int, bytes]:
        if self.used >= self.REQUESTS_PER_CONNECTION:
            await self.close()
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.used = 0
        self.used += 1
        body = b"" if payload is None else json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status = int((await self.reader.readline()).split()[1])
            length, close = 0, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            answer = await self.reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            await self.close()
            raise
        if close:
            await self.close()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None
