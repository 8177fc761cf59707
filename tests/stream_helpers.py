"""The event stream's tests: the real NATS server (MANYI_TEST_NATS_URL), one stream per test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import nats
import pytest

from manyi import aio
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec

NATS_URL = os.environ.get("MANYI_TEST_NATS_URL", "")


def nats_url() -> str:
    """The test server; the test is skipped when none is configured (CI and `make test` set it:
    an unreachable server then fails the tests, it does not skip them)."""
    if not NATS_URL:
        pytest.skip("MANYI_TEST_NATS_URL is not set")
    return NATS_URL


def unique_spec() -> StreamSpec:
    """A stream and subject root of this test's own, so parallel workers never meet."""
    tag = uuid.uuid4().hex[:10]
    return StreamSpec(name=f"TEST_{tag.upper()}", root=f"test.{tag}.events", duplicate_window_s=60)


async def _delete(url: str, name: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)
    finally:
        await nc.close()


async def _messages(url: str, spec: StreamSpec) -> list[tuple[str, Envelope]]:
    """Every message in the stream, in stream order, as (subject, envelope)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(spec.name)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await js.get_msg(spec.name, seq)
            assert msg.data is not None and msg.subject is not None
            found.append((msg.subject, Envelope.decode(msg.data)))
        return found
    finally:
        await nc.close()


def stream_messages(url: str, spec: StreamSpec) -> list[tuple[str, Envelope]]:
    return aio.run(_messages(url, spec))


@pytest.fixture(name="stream_spec")
def stream_spec_fixture() -> Iterator[tuple[str, StreamSpec]]:
    """(server URL, a stream of the test's own), the stream deleted after the test."""
    url = nats_url()
    spec = unique_spec()
    yield url, spec
    aio.run(_delete(url, spec.name))
