"""The event stream's resume point, read from a header or the query string."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from manyi.lobby.stream import last_event_id


def request(header: str = "", after: str = "") -> Request:
    headers = [(b"last-event-id", header.encode("latin-1"))] if header else []
    query = f"after={after}".encode() if after else b""
    return Request({"type": "http", "headers": headers, "query_string": query})


@pytest.mark.parametrize("raw", ["²", "١٢", "-1", "9" * 30, "1e3", ""])
def test_a_resume_point_that_is_not_plain_digits_is_ignored(raw: str) -> None:
    # "²" passed str.isdigit() and then int() raised: a 500 on GET …/events?after=² (issue 16 #5)
    assert last_event_id(request(after=raw)) is None
    if raw.isascii() or raw == "²":
        assert last_event_id(request(header=raw)) is None


def test_a_resume_point_is_read() -> None:
    assert last_event_id(request(header="42")) == 42
    assert last_event_id(request(after="7")) == 7
