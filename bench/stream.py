"""The event stream beside PostgreSQL NOTIFY: events per second sustained and end-to-end p99.

The same load both ways: a producer commits `--events` lobby-like events in transactions of
`--per-commit`, as fast as PostgreSQL takes them.

* JetStream: each transaction also writes its events to the outbox (MANYI_STREAM=nats); a
  publisher drains the outbox to a stream of the bench's own, and a durable pull consumer reads
  it. Latency: from the producer's commit to the consumer holding the envelope.
* NOTIFY: each transaction stages its events for live screens (`realtime.stage`); another
  database object's hub LISTENs and hands them to a subscriber, as a second app process would.
  Latency: from commit to the subscriber holding the event. NOTIFY is not durable: a listener
  that is away misses events (screens then re-read the rows), which the stream does not.

Sustained rate: `--events` committed as fast as they go, divided by the time until the last
reached the consumer (subscriber). Latency: p99 of another run paced at `--rate` events/s for
five seconds (under saturation latency only measures the backlog).

    .venv/bin/python bench/stream.py [--events 20000] [--per-commit 50]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_stream]
        [--nats nats://127.0.0.1:4222]

Its last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import statistics
import threading
import time
import uuid
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType

import nats
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from manyi import event_outbox, realtime
from manyi.db import Database, upgrade
from manyi.stream import consumer, publisher
from manyi.stream.domain.envelope import Envelope
from manyi.stream.publisher import StreamSpec


def fresh_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    upgrade(url)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values)


def produce(
    db: Database, events: int, per_commit: int, stream: bool, rate: float | None = None
) -> None:
    """Commit `events` events, at `rate` a second or as fast as they go; each carries its
    commit time (taken just before COMMIT)."""
    began = time.time()
    for start in range(0, events, per_commit):
        if rate:
            ahead = began + start / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        with db.session() as session:
            t0 = time.time()
            now = dt.datetime.now(dt.UTC)
            batch = range(start, min(start + per_commit, events))
            if stream:
                event_outbox.record_many(
                    session,
                    [
                        event_outbox.Pending(
                            "lobby", k, "called", now, outlet_id=k % 50 + 1, data={"t0": t0}
                        )
                        for k in batch
                    ],
                )
            else:
                for k in batch:
                    topic = f"lobby:{k % 50 + 1}"
                    realtime.stage(
                        session, realtime.Event(topic, k, "called", now.isoformat(), {"t0": t0})
                    )


def _publisher(
    url: str, nats_url: str, spec: StreamSpec, stop: EventType, ready: EventType
) -> None:
    """The worker's publisher, in a process of its own (as `manyi worker` runs it)."""
    db = Database(url, {event_outbox.SESSION_KEY: True})
    ready.set()

    async def loop() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        while not stop.is_set():
            result = await publisher.publish_outbox(db, js, spec, batch=1000)
            if not result.published:
                await asyncio.sleep(0.002)
        await nc.close()

    asyncio.run(loop())
    db.dispose()


def _consumer(
    nats_url: str, spec: StreamSpec, events: int, out: Queue[list[float]], ready: EventType
) -> None:
    """A durable pull consumer in a process of its own; sends the latencies back."""
    ready.set()
    latencies: list[float] = []
    done = threading.Event()

    def land(envelopes: list[Envelope]) -> None:
        now = time.time()
        latencies.extend(now - float(e.data["t0"]) for e in envelopes)
        if len(latencies) >= events:
            done.set()

    async def run() -> None:
        options = consumer.ConsumerOptions(batch=1000, idle_stop_s=None)
        task = asyncio.create_task(
            consumer.run(nats_url, "bench", land, spec=spec, options=options)
        )
        while not done.is_set():
            await asyncio.sleep(0.005)
        task.cancel()

    asyncio.run(run())
    out.put(latencies)


def bench_jetstream(
    url: str, nats_url: str, events: int, per_commit: int, rate: float | None
) -> tuple[float, float]:
    tag = uuid.uuid4().hex[:8]
    spec = StreamSpec(name=f"BENCH_{tag.upper()}", root=f"bench.{tag}.events")

    async def prepare() -> None:
        nc = await nats.connect(nats_url)
        await publisher.ensure_stream(nc.jetstream(), spec)
        await nc.close()

    asyncio.run(prepare())
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    out: Queue[list[float]] = context.Queue()
    ready = context.Event(), context.Event()
    pub = context.Process(target=_publisher, args=(url, nats_url, spec, stop, ready[0]))
    sub = context.Process(target=_consumer, args=(nats_url, spec, events, out, ready[1]))
    pub.start()
    sub.start()
    assert ready[0].wait(60) and ready[1].wait(60)
    time.sleep(0.5)  # both connected before the load starts
    db = Database(url, {event_outbox.SESSION_KEY: True})
    started = time.time()
    produce(db, events, per_commit, True, rate)
    latencies = out.get(timeout=600)
    elapsed = max(time.time() - started, 1e-9)
    stop.set()
    pub.join(10)
    sub.join(10)

    async def cleanup() -> None:
        nc = await nats.connect(nats_url)
        await nc.jetstream().delete_stream(spec.name)
        await nc.close()

    asyncio.run(cleanup())
    db.dispose()
    return events / elapsed, p99(latencies) * 1000


def _listener(url: str, events: int, ready: EventType, out: Queue[list[float]]) -> None:
    """Another app process: its hub LISTENs, fifty outlets' screens subscribe."""
    db = Database(url)
    latencies: list[float] = []

    async def listen() -> None:
        subs = [db.hub.subscribe(f"lobby:{k}") for k in range(1, 51)]
        assert db.hub.listening.wait(5)
        ready.set()
        finished = asyncio.Event()

        async def drain(sub: realtime.Subscription) -> None:
            while True:
                item = await sub.get(60)
                if item is None:
                    return
                if isinstance(item, realtime.Event):
                    latencies.append(time.time() - float(item.data["t0"]))
                    if len(latencies) >= events:
                        finished.set()

        tasks = [asyncio.create_task(drain(s)) for s in subs]
        await asyncio.wait_for(finished.wait(), timeout=600)
        for task in tasks:
            task.cancel()

    asyncio.run(listen())
    db.dispose()
    out.put(latencies)


def bench_notify(url: str, events: int, per_commit: int, rate: float | None) -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    out: Queue[list[float]] = context.Queue()
    listener = context.Process(target=_listener, args=(url, events, ready, out))
    listener.start()
    assert ready.wait(30)
    db = Database(url)
    started = time.time()
    produce(db, events, per_commit, False, rate)
    latencies = out.get(timeout=600)
    elapsed = time.time() - started
    listener.join(10)
    db.dispose()
    return events / elapsed, p99(latencies) * 1000


def lobby_cost(url: str, events: int = 2000) -> tuple[float, float]:
    """Microseconds per lobby event (`lobby.events.emit` and its commit, one per transaction)
    with the stream off and on: on adds one outbox INSERT."""
    from manyi.lobby import events as lobby_events
    from manyi.org.tables import Unit

    setup = Database(url)
    with setup.session() as session:
        outlet = Unit(code=f"bench-{uuid.uuid4().hex[:6]}", level="outlet", name_zh="基准网点")
        session.add(outlet)
        session.flush()
        outlet.path = f"/{outlet.id}/"
        outlet_id = outlet.id
    setup.dispose()
    # Off and on alternate in rounds (the machine's load drifts); the median round counts.
    dbs = [Database(url), Database(url, {event_outbox.SESSION_KEY: True})]
    at = dt.datetime.now(dt.UTC)
    rounds: list[list[float]] = [[], []]
    for k in range(2 * (events // 100) + 2):
        db = dbs[k % 2]
        began = time.perf_counter()
        for _ in range(100):
            with db.session() as session:
                lobby_events.emit(session, outlet_id, "called", at, ticket_id=1, data={"n": 1})
        if k >= 2:  # the first round of each warms up
            rounds[k % 2].append((time.perf_counter() - began) / 100 * 1e6)
    for db in dbs:
        db.dispose()
    cost = [statistics.median(r) for r in rounds]
    return cost[0], cost[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--per-commit", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s of the latency run")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_stream"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    found = figures(args.database_url, args.nats, args.events, args.per_commit, args.rate)
    print(json.dumps(found))


def figures(url: str, nats: str, n: int, per: int, rate: float) -> dict[str, float | int]:
    """Both paths measured on the same load, printed as they go; the figures as a dict (also
    what `bench/cockpit.py` adds to its own line)."""
    fresh_database(url)
    paced = max(rate * 5, per)  # five seconds at the rate
    js_rate, _ = bench_jetstream(url, nats, n, per, None)
    _, js_p99 = bench_jetstream(url, nats, int(paced), per, rate)
    print(
        f"JetStream (outbox → publisher → pull consumer, three processes): {js_rate:,.0f}"
        f" events/s sustained; p99 {js_p99:.1f} ms at {rate:g} events/s"
    )
    n_rate, _ = bench_notify(url, n, per, None)
    _, n_p99 = bench_notify(url, int(paced), per, rate)
    print(
        f"PostgreSQL NOTIFY (commit → another process's LISTEN hub → subscriber): {n_rate:,.0f}"
        f" events/s sustained; p99 {n_p99:.1f} ms at {rate:g} events/s"
    )
    off_us, on_us = lobby_cost(url)
    print(
        f"A lobby event and its commit: {off_us:.0f} µs with the stream off, {on_us:.0f} µs on"
        f" (+{on_us - off_us:.0f} µs: the outbox INSERT)"
    )
    return {
        "lobby_event_us_stream_off": round(off_us),
        "lobby_event_us_stream_on": round(on_us),
        "stream_events": n,
        "per_commit": per,
        "latency_rate": rate,
        "jetstream_events_per_s": round(js_rate),
        "jetstream_p99_ms": round(js_p99, 1),
        "notify_events_per_s": round(n_rate),
        "notify_p99_ms": round(n_p99, 1),
    }


if __name__ == "__main__":
    main()
