"""The device lane in front of the whole app (`device_lane.Front`) does for its requests what the
layers it passes by do for every other: the request's id, its count and latency, its access line
(with the client behind trusted proxies) and the catch-all answer to an unexpected error."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import export
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from manyi.db import Database
from manyi.lobby.web import api
from manyi.log_lines import FIELDS
from manyi.org import device_tokens
from tests import web_helpers
from tests.conftest import SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TICKETS = "/device/api/v1/lobby/tickets"


def kiosk(db: Database, bank: Bank, **settings: object) -> Any:
    outlet = bank.unit("OUT-A")
    configure(db, outlet, opens=dt.time(0), closes=None)
    staff_client(db, "teller.a").post("/api/v1/lobby/outlets/OUT-A/counters/1/open")
    with db.session() as session:
        _, secret = device_tokens.issue_token(
            session, SYSTEM, outlet_id=outlet, kind="kiosk", name="kiosk", valid_days=30
        )
    client = make_client(db, **settings)
    client.headers["Authorization"] = f"Bearer {secret}"
    assert client.post(TICKETS, json={"service": "A"}).status_code == 201  # the token seen
    return client


def issued_count() -> float:
    value = REGISTRY.get_sample_value(
        "manyi_http_requests_total", {"method": "POST", "route": TICKETS, "status": "201"}
    )
    return value or 0.0


def test_the_requests_id_and_its_count(db: Database, bank: Bank, lane_taken: list[str]) -> None:
    client = kiosk(db, bank)
    before = issued_count()
    given = client.post(TICKETS, json={"service": "A"}, headers={"X-Request-ID": "edge-1234abcd"})
    made = client.post(TICKETS, json={"service": "A"})
    insane = client.post(TICKETS, json={"service": "A"}, headers={"X-Request-ID": "a b\nc"})
    assert lane_taken == [TICKETS] * 3
    assert given.status_code == made.status_code == insane.status_code == 201
    assert given.headers["x-request-id"] == "edge-1234abcd"
    for answer in (made, insane):
        assert len(answer.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != insane.headers["x-request-id"]
    assert issued_count() == before + 3
    assert given.headers["content-security-policy"]


def test_the_access_line_names_the_client_behind_a_trusted_proxy(
    db: Database, bank: Bank, lane_taken: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    client = kiosk(db, bank, address="10.1.2.3", trusted_proxies="10.0.0.0/8", log_format="json")
    with caplog.at_level(logging.INFO, logger="manyi.access"):
        answer = client.post(
            TICKETS, json={"service": "A"}, headers={"X-Forwarded-For": "203.0.113.7"}
        )
    assert answer.status_code == 201 and lane_taken == [TICKETS]
    lines = [r for r in caplog.records if r.name == "manyi.access"]
    assert len(lines) == 1
    fields = getattr(lines[0], FIELDS)
    assert fields["route"] == TICKETS and fields["status"] == 201
    assert fields["client"] == "203.0.113.7"


def test_an_unexpected_error_is_answered_by_the_apps_catch_all(
    db: Database, bank: Bank, lane_taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = kiosk(db, bank)

    def broken(token: Any, body: Any) -> Any:
        def work(session: Any) -> Any:
            raise RuntimeError("a defect")

        return work

    monkeypatch.setattr(api, "kiosk_issue", broken)
    client.raise_server_exceptions = False
    answer = client.post(TICKETS, json={"service": "A"}, headers={"X-Request-ID": "edge-5678abcd"})
    assert lane_taken == [TICKETS]
    assert answer.status_code == 500 and answer.json()["error"] == "internal_error"
    assert answer.headers["x-request-id"] == "edge-5678abcd"
    assert answer.headers.get_list("x-request-id") == ["edge-5678abcd"]
    assert answer.headers["x-frame-options"]


@pytest.fixture
def traced_app_not_kept() -> Iterator[None]:
    """The traced app this test builds is not kept for later tests (`web_helpers.app_for`): a
    test of tracing builds its own, with its own exporter."""
    before = set(web_helpers._BUILT)
    yield
    for key in set(web_helpers._BUILT) - before:
        del web_helpers._BUILT[key]


@pytest.mark.usefixtures("traced_app_not_kept")
def test_when_requests_are_traced_the_lane_sits_inside_the_trace(
    db: Database, bank: Bank, lane_taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "ConsoleSpanExporter", InMemorySpanExporter)  # not printed
    client = kiosk(db, bank, tracing="console")
    answer = client.post(TICKETS, json={"service": "A"}, headers={"X-Request-ID": "edge-9abcdef0"})
    assert answer.status_code == 201 and lane_taken == [TICKETS]
    assert answer.headers.get_list("x-request-id") == ["edge-9abcdef0"]  # the middleware's
