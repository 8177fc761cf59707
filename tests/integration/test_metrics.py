"""`/metrics`: who may read it, request counts per route template, the business gauges read at
scrape time on both engines, and two real uvicorn worker processes whose counts add up."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.support.processes import (
    connection_owner,
    free_port,
    process_tree,
    start_server,
    stop_with_workers,
    wait_healthy,
)
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, insert, select

from manyi import notify
from manyi.db import Database
from manyi.lobby import counters, service
from manyi.lobby.tables import LobbyTicket
from manyi.observe import gauges
from manyi.observe.metrics import MULTIPROC_ENV, prepare_multiprocess
from tests.conftest import FIXED_NOW, Bank
from tests.databases import sqlite_only
from tests.lobby_helpers import configure, operator
from tests.web_helpers import make_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
MINUTE = dt.timedelta(minutes=1)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


def _from(client: TestClient, address: str) -> TestClient:
    """Another browser on the same app, at `address`."""
    return TestClient(client.app, follow_redirects=False, client=(address, 50000))


@sqlite_only
def test_only_the_configured_addresses_may_read_it(db: Database) -> None:
    local = make_client(db, address="127.0.0.1")
    assert local.get("/metrics").status_code == 200
    assert _from(local, "::1").get("/metrics").status_code == 200
    refused = _from(local, "10.20.30.40").get("/metrics")
    assert (refused.status_code, refused.text) == (403, "forbidden")
    # A request passed on by a proxy nobody declared trusted speaks for no one.
    proxied = local.get("/metrics", headers={"X-Forwarded-For": "10.20.30.40"})
    assert proxied.status_code == 403
    # The bank's monitoring network, behind its trusted proxy: the forwarded address counts.
    proxy = make_client(
        db, address="10.9.9.9", trusted_proxies="10.9.9.9", metrics_allow="10.20.0.0/16"
    )
    assert _from(proxy, "10.20.30.40").get("/metrics").status_code == 200
    assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.20.1.1"}).status_code == 200
    assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.30.1.1"}).status_code == 403
    assert _from(proxy, "127.0.0.1").get("/metrics").status_code == 403


@sqlite_only
def test_requests_are_counted_per_route_template(db: Database) -> None:
    client = make_client(db, address="127.0.0.1")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/complaints/987654321")  # an id in the path: sent to sign in
    client.get("/no/such/page/555")
    text = client.get("/metrics").text
    assert value(text, "manyi_http_requests_total", method="GET", route="/healthz", status="200")
    assert value(text, "manyi_http_requests_total", method="GET", route="unmatched", status="404")
    labels = {v for (_, pairs) in samples(text) for _, v in pairs}
    assert not [v for v in labels if "987654321" in v or "555" in v]  # no ids in any label
    assert 'route="/complaints/{' in text
    count = value(text, "manyi_http_request_duration_seconds_count", method="GET", route="/healthz")
    assert count is not None and count >= 3


def _lobby(db: Database, bank: Bank) -> None:
    """OUT-A: one counter open; three customers called (one after 20 minutes, two within the
    target), two still waiting (the longer for 12 minutes)."""
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.open_counter(session, teller, "OUT-A", 1, FIXED_NOW - 40 * MINUTE)
    issued = [FIXED_NOW - 30 * MINUTE, FIXED_NOW - 25 * MINUTE, FIXED_NOW - 20 * MINUTE]
    issued += [FIXED_NOW - 12 * MINUTE, FIXED_NOW - 3 * MINUTE]
    for at in issued:
        with db.session() as session:
            service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", at)
    for at in (FIXED_NOW - 10 * MINUTE, FIXED_NOW - 9 * MINUTE, FIXED_NOW - 8 * MINUTE):
        with db.session() as session:
            teller = operator(session, "teller.a")
            called = counters.call_next(session, teller, "OUT-A", 1, at)
            assert called.ticket is not None
            counters.complete(session, teller, "OUT-A", 1, at + MINUTE)
    with db.session() as session:
        notify.enqueue(
            session,
            channel="sms",
            recipient_staff_id=bank.staff["teller_a"],
            subject="s",
            body="b",
            now=FIXED_NOW - 7 * MINUTE,
            unit_id=bank.unit("OUT-A"),
            address="13800138000",
        )


def test_business_gauges_per_outlet_and_per_tier1_branch(db: Database, bank: Bank) -> None:
    _lobby(db, bank)
    text = make_client(db, address="127.0.0.1", cockpit_service_level_s=900).get("/metrics").text
    assert value(text, "manyi_business_gauges_up") == 1
    assert value(text, "manyi_lobby_customers_waiting", unit="OUT-A") == 2
    assert value(text, "manyi_lobby_longest_wait_seconds", unit="OUT-A") == 12 * 60
    assert value(text, "manyi_lobby_called_last_hour", unit="OUT-A") == 3
    # Waits of 20, 16 and 12 minutes against a 15-minute target: one of three within it.
    assert value(text, "manyi_lobby_called_within_target_last_hour", unit="OUT-A") == 1
    assert value(text, "manyi_lobby_service_level_ratio", unit="OUT-A") == pytest.approx(1 / 3)
    assert value(text, "manyi_lobby_counters_open", unit="OUT-A") == 1
    assert value(text, "manyi_lobby_customers_waiting", unit="OUT-B") is None
    assert value(text, "manyi_notify_outbox_messages", channel="sms") == 1
    assert value(text, "manyi_notify_outbox_oldest_age_seconds", channel="sms") == 7 * 60
    assert value(text, "manyi_worker_lag_seconds", job="notify") == 7 * 60
    assert value(text, "manyi_worker_lag_seconds", job="complaints") == 0
    assert "13800138000" not in text

    tier1 = make_client(db, address="127.0.0.1", metrics_gauges="tier1").get("/metrics").text
    assert value(tier1, "manyi_lobby_customers_waiting", unit="BR-A") == 2
    assert value(tier1, "manyi_lobby_customers_waiting", unit="OUT-A") is None
    off = make_client(db, address="127.0.0.1", metrics_gauges="off").get("/metrics").text
    assert "manyi_lobby_customers_waiting" not in off
    assert value(off, "manyi_business_gauges_up") == 0


# --- two worker processes ------------------------------------------------------------------


@pytest.fixture
def two_workers(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn with two worker processes on an SQLite copy, counting into one directory as
    `manyi serve --workers 2` sets it up (tests/unit/test_observe.py checks that part: uvicorn
    started here skips the seconds `manyi.cli` takes to import)."""
    database = tmp_path / "manyi.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    counts = tmp_path / "metrics"
    counts.mkdir()
    (counts / "counter_4242.db").write_bytes(b"left by an earlier run")
    prepare_multiprocess(counts)
    assert list(counts.iterdir()) == []
    monkeypatch.setenv(MULTIPROC_ENV, str(counts))  # the workers inherit it
    port = free_port()
    process = start_server(f"sqlite:///{database}", port, tmp_path, stock=True)
    base = f"http://127.0.0.1:{port}"
    workers: list[int] = []
    try:
        try:
            wait_healthy(base, process, seconds=120)
        except SystemExit as exc:
            output = (tmp_path / "server.log").read_text(errors="replace")
            pytest.fail(f"uvicorn did not start: {exc}\n{output}")
        workers = process_tree(process.pid)[1:]
        yield base, process
    finally:
        stop_with_workers(process, workers or process_tree(process.pid)[1:])


def test_two_worker_processes_counts_add_up(
    two_workers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, process = two_workers
    port = int(base.rsplit(":", 1)[1])

    def one_request(_: int) -> int | None:
        """GET /signin on a new connection; the worker that held it (from /proc)."""
        with httpx.Client(base_url=base, timeout=10) as http:
            response = http.get("/signin")
            assert response.status_code == 200
            client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
            return connection_owner(port, client_port, process_tree(process.pid))

    owners: list[int | None] = []
    with ThreadPoolExecutor(4) as pool:  # four at once: both workers accept some
        while len(owners) < 80 and (len(owners) < 12 or len(set(owners) - {None}) < 2):
            owners += pool.map(one_request, range(4))
    assert len(set(owners) - {None}) == 2, f"one worker took every request: {owners}"
    # Whichever worker answers the scrape, it counts both workers' requests.
    for _ in range(4):
        with httpx.Client(base_url=base, timeout=10) as http:
            text = http.get("/metrics").text
        labels = {"method": "GET", "route": "/signin", "status": "200"}
        assert value(text, "manyi_http_requests_total", **labels) == len(owners), text


def test_the_gauges_read_the_tickets_through_their_indexes(db: Database, bank: Bank) -> None:
    """Across outlets, the customers waiting and the last hour's first calls are read through
    partial indexes (migration 0056), not the whole ticket table at every scrape: with a
    history of finished tickets and its statistics gathered, both planners choose them."""
    _lobby(db, bank)
    with db.session() as session:
        row = session.scalars(select(LobbyTicket).where(LobbyTicket.state == "finished")).first()
        assert row is not None
        columns = {c.key: getattr(row, c.key) for c in LobbyTicket.__table__.columns}
        past = FIXED_NOW - dt.timedelta(days=3)
        session.execute(
            insert(LobbyTicket),
            [
                {
                    **columns,
                    "id": None,
                    "local_day": past.date(),
                    "seq": k,
                    "number": f"A{k:03d}",
                    "public_token": f"history-{k}",
                    "issued_at": past,
                    "queued_at": past,
                    "first_called_at": past + MINUTE,
                    "last_called_at": past + MINUTE,
                    "started_at": past + MINUTE,
                    "finished_at": past + 2 * MINUTE,
                }
                for k in range(1, 3001)
            ],
        )
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if "FROM lobby_tickets" in statement:
            statements.append((statement, params))

    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.read() as session:
            gauges.business_gauges(session, FIXED_NOW, by="outlet", service_level_s=600)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 2, statements  # customers waiting; first calls in the last hour
    with db.engine.connect() as conn:
        explain = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        plans = [
            _plan(conn.exec_driver_sql(explain + sql, params).all()) for sql, params in statements
        ]
    assert "ix_lobby_tickets_waiting" in plans[0], (statements[0], plans[0])
    assert "ix_lobby_tickets_first_called" in plans[1], plans[1]


def _plan(rows: list[Any]) -> str:
    """An EXPLAIN's rows as one line of text."""
    return " ".join(str(cell) for row in rows for cell in row)
