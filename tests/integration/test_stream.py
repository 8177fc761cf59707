"""The event stream against the real NATS server: outbox, publisher, consumer, ledger.

Every test has a stream of its own (tests/stream_helpers.py) and deletes it after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from nats.errors import NoServersError
from sqlalchemy import func, select

from manyi import aio, event_outbox
from manyi.complaints import intake
from manyi.config import Settings
from manyi.counter import bundles
from manyi.db import Database
from manyi.event_outbox import StreamOutboxRow
from manyi.lobby import counters, service
from manyi.org.tables import Unit
from manyi.quality.store import NewResponse, insert_responses
from manyi.stream import consumer, jobs, ledger, publisher, queries
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec
from manyi.stream.tables import StreamProcessed
from tests.complaint_bank import build_complaint_bank
from tests.conftest import Bank, sqlite_only
from tests.counter_helpers import clerk, customer, make_sim, open_bundle, setup_counter, submit
from tests.lobby_helpers import T0, configure, operator
from tests.stream_helpers import stream_messages, stream_spec_fixture, unique_spec  # noqa: F401 (fixture)

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def sdb(database_url: str, db: Database) -> Iterator[Database]:
    """The same database, with the event stream on (as MANYI_STREAM=nats makes every session)."""
    streaming = Database(database_url, {event_outbox.SESSION_KEY: True})
    yield streaming
    streaming.dispose()


def visit(db: Database, start: dt.datetime) -> int:
    """Issued at `start`, called 12.5 minutes later, started 30 s after, served for 7 minutes."""
    with db.session() as session:
        issued = service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", start)
    call = start + dt.timedelta(minutes=12, seconds=30)
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.call_next(session, teller, "OUT-A", 1, call)
        counters.start(session, teller, "OUT-A", 1, call + dt.timedelta(seconds=30))
    with db.session() as session:
        teller = operator(session, "teller.a")
        counters.complete(session, teller, "OUT-A", 1, call + dt.timedelta(seconds=450))
    return issued.ticket.id


def open_lobby(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", 1, T0)


def outbox_size(db: Database) -> int:
    with db.read() as session:
        return queries.waiting(session)


def test_with_the_stream_off_nothing_is_written(db: Database, bank: Bank) -> None:
    open_lobby(db, bank)
    visit(db, T0)
    assert outbox_size(db) == 0


def test_a_rolled_back_event_never_reaches_the_outbox(sdb: Database, bank: Bank) -> None:
    open_lobby(sdb, bank)
    before = outbox_size(sdb)
    with pytest.raises(RuntimeError), sdb.session() as session:
        service.issue_ticket(session, operator(session, "admin"), "OUT-A", "A", T0)
        raise RuntimeError("the use case failed after the event")
    assert outbox_size(sdb) == before


def test_lobby_events_are_published_in_order_and_enriched(
    sdb: Database, bank: Bank, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec
    open_lobby(sdb, bank)
    ticket_id = visit(sdb, T0)
    waiting = outbox_size(sdb)  # counter opened; issued, called, started, completed; alerts
    assert waiting >= 5
    assert publisher.publish_pass(sdb, url, spec) == waiting
    assert outbox_size(sdb) == 0  # published rows are deleted

    with sdb.read() as session:
        outlet = session.get_one(Unit, bank.unit("OUT-A"))
    tier1 = bank.unit("BR-A")
    messages = stream_messages(url, spec)
    kinds = [e.kind for _, e in messages]
    assert kinds[0] == "counter_opened"
    assert [k for k in kinds if k in ("issued", "called", "started", "completed")] == [
        "issued",
        "called",
        "started",
        "completed",
    ]
    ids = [e.id for _, e in messages]
    assert len(set(ids)) == len(ids)
    numbers = [int(i.split(":")[1]) for i in ids]
    assert numbers == sorted(numbers)  # the lobby's own order
    subject = f"{spec.root}.lobby.{tier1}.{outlet.id}"
    assert all(s == subject for s, _ in messages)
    by_kind = {e.kind: e for _, e in messages}
    called, completed = by_kind["called"], by_kind["completed"]
    assert called.ticket_id == ticket_id and called.tier1_id == tier1
    assert called.data["service_code"] == "A" and called.data["klass"] == "normal"
    assert called.data["wait_s"] == 750
    assert called.at == "2026-11-30T02:12:30Z"
    assert completed.data["service_s"] == 420 and completed.data["outcome"] == "served"
    assert "outcome" not in by_kind["issued"].data


def test_complaint_counter_and_quality_events_go_to_the_stream(
    sdb: Database, bank: Bank, stream_spec: tuple[str, StreamSpec], frozen_clock: dt.datetime
) -> None:
    url, spec = stream_spec
    cb = build_complaint_bank(sdb, bank)
    caller = cb.caller(sdb, "hotline")
    with sdb.session() as session:
        intake.register(session, caller, cb.hotline_form(), T0)
    setup_counter(sdb, bank)
    sim = make_sim()
    values = customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}
    code = submit(sdb, ["deposit"], values)
    reference = open_bundle(sdb, "teller.a", code)
    with sdb.session() as session:
        bundles.confirm_by_customer(session, clerk(session, "teller.a"), reference, T0)
    outlet = bank.unit("OUT-A")
    with sdb.session() as session:
        path = session.get_one(Unit, outlet).path
        response = NewResponse("import", "r-1", outlet, path, "counter", T0, csat=4, nps=9)
        assert insert_responses(session, [response, response]) == 1
    del sim

    publisher.publish_pass(sdb, url, spec)
    found = {}
    for subject, e in stream_messages(url, spec):
        found.setdefault(e.source, []).append((subject, e))
    (complaint_subject, complaint), *_ = found["complaints"]
    assert complaint.outlet_id == outlet and complaint.tier1_id == bank.unit("BR-A")
    assert complaint_subject == f"{spec.root}.complaints.{bank.unit('BR-A')}.{outlet}"
    assert complaint.data["to_state"] is not None
    states = [e.kind for _, e in found["counter"]]
    assert states[0] == "draft" and len(states) >= 2  # opened, then confirmed
    assert all(e.data["reference"] == reference for _, e in found["counter"][1:])
    [(_, quality)] = found["quality"]
    assert quality.kind == "response" and quality.data["csat"] == 4 and quality.data["nps"] == 9
    assert "ces" not in quality.data and quality.at == "2026-11-30T02:00:00Z"


def test_a_publisher_that_died_before_deleting_publishes_again_and_the_stream_keeps_one(
    sdb: Database, bank: Bank, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec
    open_lobby(sdb, bank)
    visit(sdb, T0)
    waiting = outbox_size(sdb)

    async def publish_without_deleting() -> int:
        import nats

        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            await publisher.ensure_stream(js, spec)
            with sdb.read() as session:
                rows = queries.next_batch(session, 3)  # the publisher dies after 3 acks
            return await publisher.publish_envelopes(js, spec, [e for _, e in rows])
        finally:
            await nc.close()

    assert aio.run(publish_without_deleting()) == 3
    assert outbox_size(sdb) == waiting  # nothing was marked
    assert publisher.publish_pass(sdb, url, spec) == waiting  # all again, the 3 included
    messages = stream_messages(url, spec)
    assert len(messages) == waiting  # JetStream dropped the 3 copies (Nats-Msg-Id)
    assert len({e.id for _, e in messages}) == waiting


def test_a_consumer_stopped_mid_way_resumes_without_losing_or_applying_twice(
    sdb: Database, bank: Bank, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec
    open_lobby(sdb, bank)
    for k in range(4):
        visit(sdb, T0 + k * 20 * MIN)
    total = outbox_size(sdb)
    publisher.publish_pass(sdb, url, spec)
    applied: list[str] = []
    options = consumer.ConsumerOptions(batch=5, ack_wait_s=1.0, idle_stop_s=0.5)

    def land(envelopes: list[Envelope]) -> None:
        with sdb.session() as session:
            new = ledger.fresh(session, "test-lander", envelopes, T0)
        applied.extend(e.id for e in new)  # the sink, after its commit

    class Died(Exception):
        pass

    def land_then_die(envelopes: list[Envelope]) -> None:
        land(envelopes)
        if len(applied) >= 10:
            raise Died  # committed, never acknowledged

    with pytest.raises(Died):
        consumer.consume(url, "lander", land_then_die, spec=spec, options=options)
    assert 10 <= len(applied) < total
    # Restarted after its unacknowledged batch is due again: it resumes, the batch comes twice.
    aio.run(asyncio.sleep(1.2))
    consumer.consume(url, "lander", land, spec=spec, options=options)
    assert sorted(applied) == sorted({e.id for _, e in stream_messages(url, spec)})
    assert len(applied) == total
    with sdb.read() as session:
        count = session.scalar(
            select(func.count())
            .select_from(StreamProcessed)
            .where(StreamProcessed.consumer == "test-lander")
        )
    assert count == total


@sqlite_only  # the database plays no part
def test_a_message_that_is_not_an_envelope_is_dropped_not_redelivered(
    sdb: Database, stream_spec: tuple[str, StreamSpec]
) -> None:
    url, spec = stream_spec

    async def publish_garbage() -> None:
        import nats

        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            await publisher.ensure_stream(js, spec)
            await js.publish(f"{spec.root}.lobby.0.0", b'{"not": "an envelope"}')
        finally:
            await nc.close()

    aio.run(publish_garbage())
    seen: list[Envelope] = []
    options = consumer.ConsumerOptions(ack_wait_s=1.0, idle_stop_s=0.3)
    assert consumer.consume(url, "c", seen.extend, spec=spec, options=options) == 0
    assert consumer.consume(url, "c", seen.extend, spec=spec, options=options) == 0
    assert seen == []


def test_the_outbox_model_matches_what_features_record(sdb: Database, bank: Bank) -> None:
    open_lobby(sdb, bank)
    with sdb.read() as session:
        row = session.scalars(select(StreamOutboxRow).order_by(StreamOutboxRow.id)).first()
    assert row is not None and row.source == "lobby" and row.kind == "counter_opened"
    assert row.outlet_id == bank.unit("OUT-A") and row.source_id is not None


def test_the_worker_job_publishes_only_when_the_stream_is_on(
    sdb: Database, bank: Bank, stream_spec: tuple[str, StreamSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, spec = stream_spec
    monkeypatch.setattr(jobs, "SPEC", spec)
    open_lobby(sdb, bank)
    waiting = outbox_size(sdb)
    off = jobs.publish(sdb, Settings(stream="off", nats_url=url), T0)
    assert (off.done, outbox_size(sdb)) == (0, waiting)
    on = jobs.publish(sdb, Settings(stream="nats", nats_url=url), T0)
    assert (on.done, outbox_size(sdb)) == (waiting, 0)
    assert len(stream_messages(url, spec)) == waiting
    [job] = jobs.JOBS
    assert (job.name, job.lease_s) == ("stream-publish", jobs.LEASE_S)  # one publisher at a time


@sqlite_only
def test_an_unreachable_nats_fails_the_pass_and_loses_nothing(sdb: Database, bank: Bank) -> None:
    open_lobby(sdb, bank)
    waiting = outbox_size(sdb)
    with pytest.raises(NoServersError):
        publisher.publish_pass(sdb, "nats://127.0.0.1:1", unique_spec())
    assert outbox_size(sdb) == waiting
