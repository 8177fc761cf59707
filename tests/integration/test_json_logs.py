"""Structured logs (MANYI_LOG_FORMAT=json): one JSON object a line with the request id, which
is answered in X-Request-ID and stamped on the audit events the request appends; the proxy's
own id is kept when sane. No query string, body or typed secret reaches a line. And the
optional OpenTelemetry trace of a request carries the same id and no query string."""

from __future__ import annotations

import http.server
import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import export
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select

from manyi import log_lines
from manyi.audit import verify
from manyi.audit.service import events_in_scope
from manyi.audit.tables import AuditEvent
from manyi.db import Database
from tests.conftest import PASSWORD, Bank
from tests.databases import sqlite_only
from tests.web_helpers import csrf_of, make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")
PHONE = "13912345678"


@pytest.fixture
def json_lines(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What a JSON handler on the root logger writes, as it writes it (in the request's
    context, as a real handler does)."""
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(log_lines.formatter("json"))
    # The test's own HTTP client logs the URLs it asks for; the server's lines are the point.
    handler.addFilter(lambda record: not record.name.startswith("httpx"))
    logging.getLogger().addHandler(handler)
    yield out
    logging.getLogger().removeHandler(handler)


def parsed(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_each_request_gets_an_id_in_the_header_the_log_and_the_audit_event(
    db: Database, bank: Bank, json_lines: io.StringIO
) -> None:
    client = make_client(db, log_format="json")
    token = csrf_of(client)
    signed_in = client.post(
        "/signin",
        data={"username": "teller.a", "password": PASSWORD, "csrf_token": token},
        headers={"X-Request-ID": "nginx-0123456789abcdef"},  # the proxy's own id, kept
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    with db.read() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == "auth.signed_in"
        assert event.request_id == "nginx-0123456789abcdef"
    with db.read() as session:
        assert verify(session).ok  # the id is sealed with the rest of the row
        # The audit page's search finds the request's events by the id in the logs.
        found = events_in_scope(session, "/", True, q="nginx-0123456789abcdef")
        assert [e.action for e in found] == ["auth.signed_in"]

    # The administrator's audit page finds it by the id, and shows it.
    admin = make_client(db, log_format="json")
    sign_in(admin, "admin", PASSWORD)
    page = admin.get("/admin/audit", params={"q": "nginx-0123456789abcdef"})
    assert "X-Request-ID: nginx-0123456789abcdef" in page.text

    lines = parsed(json_lines)
    access = [line for line in lines if line.get("event") == "request"]
    assert {(a["method"], a["route"], a["status"]) for a in access} >= {
        ("GET", "/signin", 200),
        ("POST", "/signin", 303),
    }
    post = next(a for a in access if a["method"] == "POST")
    assert post["request_id"] == "nginx-0123456789abcdef"
    assert post["logger"] == "manyi.access" and post["level"] == "INFO"
    assert isinstance(post["duration_ms"], float) and post["client"] == "testclient"
    assert PASSWORD not in json_lines.getvalue()

    # A search with a phone number in the query: the line names the route, not the query.
    client.get(f"/complaints?q={PHONE}", headers={"X-Request-ID": "bad id\nforged: line"})
    last = [line for line in parsed(json_lines) if line.get("event") == "request"][-1]
    assert last["route"] == "/complaints" and last["status"] == 403  # not a teller's page
    assert last["staff_id"] == bank.staff["teller_a"]
    assert len(last["request_id"]) == 32 and "\n" not in last["request_id"]  # replaced
    assert PHONE not in json_lines.getvalue() and "forged" not in json_lines.getvalue()


@sqlite_only
def test_text_stays_the_default(db: Database, json_lines: io.StringIO) -> None:
    response = make_client(db).get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32  # an id, even without JSON lines
    assert not [line for line in parsed(json_lines) if line.get("event") == "request"]


@sqlite_only
def test_a_trace_carries_the_request_id_and_no_query(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans = InMemorySpanExporter()
    monkeypatch.setattr(export, "ConsoleSpanExporter", lambda: spans)  # kept, not printed
    answer = make_client(db, tracing="console").get(f"/healthz?phone={PHONE}")
    assert answer.status_code == 200
    (span,) = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["manyi.request_id"] == answer.headers["X-Request-ID"]
    assert PHONE not in json.dumps({k: str(v) for k, v in attributes.items()})


class _BrokenDatabase:
    def ping(self) -> bool:
        raise RuntimeError("a fault of manyi's own")


@sqlite_only
def test_an_unexpected_error_keeps_its_id(db: Database, json_lines: io.StringIO) -> None:
    app = make_client(db, log_format="json").app
    app.state.db = _BrokenDatabase()  # this client's copy of the app only
    answer = TestClient(app, raise_server_exceptions=False).get("/healthz")
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-ID"]
    lines = parsed(json_lines)
    (error,) = [line for line in lines if line["logger"] == "manyi.web"]
    assert error["request_id"] == request_id and "RuntimeError" in error["error"]
    access = [line for line in lines if line.get("event") == "request"]
    assert [(a["status"], a["request_id"]) for a in access] == [(500, request_id)]


class _Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver, as a collector is: POST /v1/traces with a protobuf
    `ExportTraceServiceRequest`, answered 200 with an empty `ExportTraceServiceResponse`."""

    received: list[bytes]
    arrived: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if (
            self.path == "/v1/traces"
            and self.headers.get("Content-Type") == "application/x-protobuf"
        ):
            type(self).received.append(body)
            type(self).arrived.set()
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        return


@sqlite_only
def test_a_trace_goes_to_an_otlp_collector_with_the_request_id_and_no_query(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MANYI_TRACING=otlp: the span is sent over OTLP/HTTP (protobuf) to the collector named
    by OpenTelemetry's own variable, and reads there as it does in the console."""
    handler = type("Collector", (_Collector,), {"received": [], "arrived": threading.Event()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # the batch goes out within 50 ms
    try:
        answer = make_client(db, tracing="otlp").get(f"/healthz?phone={PHONE}")
        assert answer.status_code == 200
        assert handler.arrived.wait(30), "no trace reached the collector"
    finally:
        server.shutdown()
        server.server_close()
    request = ExportTraceServiceRequest()
    request.ParseFromString(handler.received[0])
    spans = [
        span
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    (span,) = spans
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert attributes["manyi.request_id"] == answer.headers["X-Request-ID"]
    assert attributes["http.target"] == "/healthz"
    assert PHONE not in handler.received[0].decode("latin-1")
    (resource,) = request.resource_spans
    names = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert names["service.name"] == "manyi"
