"""The lobby under real concurrency: several OS processes, one database.

* Calling: 4 processes × 8 counters call and complete against a queue of
  waiting tickets until it is empty. Every ticket must be called exactly
  once and finished, and no counter may be left holding a ticket.
* Issuing: 4 processes issue tickets at once, over two services and two
  days. Numbers must be unique and gap-free per prefix and day.

Workers live in `tests/integration/lobby_workers.py` and are started with the
'spawn' method, so each has its own interpreter, engine and connections, and
each action runs in its own short transaction through the service layer.

Sizes and time: the requirement is 2,000 tickets, and PostgreSQL runs exactly
that. Each call-next, complete or issue costs 10-25 ms of Python in the service
layer, and issuing reads the whole waiting queue (its cost grows with the
queue), so on a 2-core machine the PostgreSQL half takes one to two minutes.
SQLite runs every write transaction one after the other (BEGIN IMMEDIATE) and
a waiting writer sleeps in SQLite's busy handler, so its runs are smaller (see
`sizes`: 500 tickets to call, 4 x 100 to issue); the code and checks are the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import queue
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from manyi import audit
from manyi.db import Database
from manyi.lobby import counters, setup
from manyi.lobby.domain.model import Policy, PriorityClass, Service, format_number
from manyi.lobby.setup import CounterSpec
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbyTicket,
    QueueTally,
    TicketSequence,
)
from manyi.org import device_tokens
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Unit
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.integration import lobby_workers
from tests.lobby_helpers import T0, operator

ROOT = str(Path(__file__).resolve().parents[2])
PROCESSES = 4
COUNTERS_PER_PROCESS = 8
OUTLET = "OUT-A"
SERVICES = (
    Service("A", "个人现金业务", "A", 300, name_en="Personal cash"),
    Service("B", "个人非现金业务", "B", 480, name_en="Personal non-cash"),
)
KINDS = ("regular", "flexible", "vip", "green", "regular", "fast_lane", "regular", "flexible")
WORKER_TIMEOUT_S = 300


def sizes(url: str) -> tuple[int, int]:
    """(waiting tickets to call, tickets each process issues) for the engine."""
    if url.startswith("sqlite"):
        return 500, 100  # smaller on SQLite: see the module docstring
    return 2000, 500


# --- setting up ---------------------------------------------------------------------


def configure(db: Database, outlet_id: int, n_counters: int) -> None:
    """Every counter serves both services, in varying order and kind; open 24 hours."""
    specs = [
        CounterSpec(n, KINDS[n % len(KINDS)], ("A", "B") if n % 2 else ("B", "A"))
        for n in range(1, n_counters + 1)
    ]
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        setup.configure_outlet(
            session,
            SYSTEM,
            outlet,
            policy=Policy(opens_at=dt.time(0), closes_at=None, timezone=outlet.timezone),
            services=SERVICES,
            counters=specs,
            now=T0,
        )


def sign_on_tellers(db: Database, outlet_id: int, n_counters: int) -> dict[int, str]:
    """One teller per counter, signed on with their own account; {counter: username}."""
    tellers = {n: f"lobby.t{n:02d}" for n in range(1, n_counters + 1)}
    with db.session() as session:
        for n, username in tellers.items():
            staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=f"柜员{n}",
                unit_id=outlet_id,
                roles=[Role.TELLER],
                password=PASSWORD,
            )
    for n, username in tellers.items():
        with db.session() as session:
            counters.open_counter(session, operator(session, username), OUTLET, n, T0)
    return tellers


def device_token(
    db: Database, outlet_id: int, kind: str, name: str, counter: int | None = None
) -> int:
    with db.session() as session:
        row, _secret = device_tokens.issue_token(
            session,
            SYSTEM,
            outlet_id=outlet_id,
            kind=kind,
            name=name,
            valid_days=None,
            now=T0,
            counter=counter,
        )
        return int(row.id)


def seed_waiting(db: Database, outlet_id: int, n: int) -> None:
    """`n` waiting tickets, one a second from T0: 95 % normal, the rest priority classes.

    Call-next loads every waiting priority ticket each time, so the share is kept
    realistic: a lobby with 2,000 waiting would not have hundreds of VIPs among them.
    """
    day = T0.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    with db.session() as session:
        service_ids = {
            code: service_id
            for code, service_id in session.execute(
                select(LobbyService.code, LobbyService.id).where(
                    LobbyService.outlet_id == outlet_id
                )
            )
        }
        rows: list[dict[str, Any]] = []
        seqs: Counter[str] = Counter()
        for i in range(n):
            code = "A" if i % 3 else "B"
            seqs[code] += 1
            klass = PriorityClass.NORMAL
            if i % 50 == 3:
                klass = PriorityClass.VIP
            elif i % 50 == 28:
                klass = PriorityClass.GREEN
            elif i % 100 == 0:
                klass = PriorityClass.APPOINTMENT
            at = T0 + dt.timedelta(seconds=i)
            rows.append(
                {
                    "outlet_id": outlet_id,
                    "local_day": day,
                    "prefix": code,
                    "seq": seqs[code],
                    "number": format_number(code, seqs[code]),
                    "service_id": service_ids[code],
                    "service_code": code,
                    "klass": klass.value,
                    "channel": "kiosk" if klass is not PriorityClass.APPOINTMENT else "appointment",
                    "state": "waiting",
                    "issued_at": at,
                    "queued_at": at,
                    "due_at": at if klass is PriorityClass.APPOINTMENT else None,
                    "call_count": 0,
                    "public_token": f"seed-{i:05d}",
                }
            )
        session.execute(insert(LobbyTicket), rows)
        session.add_all(
            TicketSequence(outlet_id=outlet_id, day=day, prefix=code, last_seq=last)
            for code, last in seqs.items()
        )


# --- running workers ----------------------------------------------------------------


def run_workers(target: Any, jobs: list[tuple[Any, ...]]) -> list[Any]:
    """Start one spawned process per job, all released together; return their reports."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=target, args=(ROOT, i, *job, barrier, results), daemon=True)
        for i, job in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    reports: dict[int, Any] = {}
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    try:
        while len(reports) < len(processes):
            try:
                report = results.get(timeout=1.0)
                reports[report.worker] = report
                continue
            except queue.Empty:
                pass
            # A worker that exited without reporting (it could not even start) fails
            # the test now rather than at the deadline.
            gone = [i for i, p in enumerate(processes) if p.exitcode is not None]
            if any(i not in reports for i in gone):
                with contextlib.suppress(queue.Empty):  # a report sent just before exiting
                    while True:
                        report = results.get(timeout=2.0)
                        reports[report.worker] = report
                codes = {i: processes[i].exitcode for i in gone if i not in reports}
                if codes:
                    pytest.fail(f"workers exited without reporting: {codes} (worker: exit code)")
            if time.monotonic() > deadline:
                pytest.fail(f"workers did not finish within {WORKER_TIMEOUT_S} s")
    finally:
        if len(reports) < len(processes):
            barrier.abort()  # release any worker still waiting to start
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()
    errors = [f"worker {i}:\n{r.error}" for i, r in sorted(reports.items()) if r.error]
    assert not errors, "\n".join(errors)
    return [reports[i] for i in sorted(reports)]


@pytest.fixture(autouse=True)
def _children_find_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawned children inherit sys.path, but make the project root explicit too.
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (ROOT, path) if p))


# --- the tests ------------------------------------------------------------------------


def test_workers_module_imports_in_a_spawned_child() -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(lobby_workers.where) == lobby_workers.__file__


def test_each_ticket_is_called_exactly_once(db: Database, bank: Bank) -> None:
    outlet_id = bank.unit(OUTLET)
    n_counters = PROCESSES * COUNTERS_PER_PROCESS
    n_tickets, _ = sizes(db.url)
    configure(db, outlet_id, n_counters)
    tellers = sign_on_tellers(db, outlet_id, n_counters)
    seed_waiting(db, outlet_id, n_tickets)
    # Half the processes act as tellers at their own counters (each action also
    # appends to the audit chain); the other half as calling pads.
    jobs = []
    for k in range(PROCESSES):
        numbers = list(range(k * COUNTERS_PER_PROCESS + 1, (k + 1) * COUNTERS_PER_PROCESS + 1))
        if k % 2:
            who: dict[str, Any] = {
                "device_ids": {
                    n: device_token(db, outlet_id, "counter_pad", f"p{k}-{n}", counter=n)
                    for n in numbers
                }
            }
        else:
            who = {"tellers": {n: tellers[n] for n in numbers}}
        # The older half of the queue is past the ageing threshold (900 s), the rest is not.
        now = T0 + dt.timedelta(seconds=900 + n_tickets // 2)
        jobs.append((db.url, OUTLET, numbers, who, now))

    reports = run_workers(lobby_workers.call_worker, jobs)

    called = [ticket_id for r in reports for ticket_id, _ in r.called]
    assert len(called) == n_tickets
    assert len(set(called)) == n_tickets, "a ticket was handed to two counters"
    assert all(r.completed == len(r.called) for r in reports)
    assert all(r.called for r in reports), "a process never got to call"
    with db.session() as session:
        tickets = session.execute(
            select(
                LobbyTicket.id,
                LobbyTicket.state,
                LobbyTicket.outcome,
                LobbyTicket.call_count,
                LobbyTicket.counter_id,
            ).where(LobbyTicket.outlet_id == outlet_id)
        ).all()
        events = session.execute(
            select(LobbyEventRow.kind, LobbyEventRow.ticket_id, LobbyEventRow.counter_id).where(
                LobbyEventRow.outlet_id == outlet_id,
                LobbyEventRow.kind.in_(("called", "completed")),
            )
        ).all()
        held = session.scalars(
            select(LobbyCounter.number).where(
                LobbyCounter.outlet_id == outlet_id,
                (LobbyCounter.current_ticket_id.is_not(None)) | (LobbyCounter.state != "open"),
            )
        ).all()
        chain = audit.verify(session)
    assert len(tickets) == n_tickets
    assert {t.id for t in tickets} == set(called)
    unfinished = [
        t for t in tickets if (t.state, t.outcome, t.call_count) != ("finished", "served", 1)
    ]
    assert not unfinished, unfinished[:5]
    calls = Counter(e.ticket_id for e in events if e.kind == "called")
    completions = Counter(e.ticket_id for e in events if e.kind == "completed")
    assert set(calls) == set(completions) == set(called)
    assert set(calls.values()) == set(completions.values()) == {1}
    counter_of = {t.id: t.counter_id for t in tickets}
    assert all(counter_of[e.ticket_id] == e.counter_id for e in events)
    assert held == [], "counters left holding a ticket or not open"
    assert chain.ok, chain.problem
    # The queue's tally (kept by triggers) is empty again, each counter's calls on its own row.
    tally = tally_rows(db, outlet_id)
    assert {key: 0 for key, _ in tally} == queue_tally(tally)
    shards = {shard for (_, shard), n in tally.items() if n < 0}
    assert shards == set(counter_of.values()), shards


def tally_rows(db: Database, outlet_id: int) -> dict[tuple[tuple[dt.date, str], int], int]:
    """The outlet's tally rows: ((business day, service), shard) -> n."""
    with db.session() as session:
        rows = session.scalars(select(QueueTally).where(QueueTally.outlet_id == outlet_id))
        return {((r.local_day, r.service_code), r.shard): r.n for r in rows}


def queue_tally(rows: dict[tuple[tuple[dt.date, str], int], int]) -> dict[tuple[dt.date, str], int]:
    """How many wait per (business day, service) by the tally: its rows summed over shards."""
    sums: Counter[tuple[dt.date, str]] = Counter()
    for (key, _), n in rows.items():
        sums[key] += n
    return dict(sums)


def test_numbers_are_unique_and_gap_free_per_prefix_and_day(db: Database, bank: Bank) -> None:
    outlet_id = bank.unit(OUTLET)
    _, per_process = sizes(db.url)
    configure(db, outlet_id, 4)
    days = (T0, T0 + dt.timedelta(days=1))  # 10:00 local on two days
    plan = [("AB"[j % 2], days[(j // 2) % 2]) for j in range(per_process)]
    jobs = [
        (db.url, device_token(db, outlet_id, "kiosk", f"kiosk{k}"), plan) for k in range(PROCESSES)
    ]

    reports = run_workers(lobby_workers.issue_worker, jobs)

    issued = [ticket for r in reports for ticket in r.issued]
    assert len(issued) == PROCESSES * per_process
    with db.session() as session:
        rows = session.execute(
            select(
                LobbyTicket.id,
                LobbyTicket.local_day,
                LobbyTicket.prefix,
                LobbyTicket.seq,
                LobbyTicket.number,
                LobbyTicket.service_code,
            ).where(LobbyTicket.outlet_id == outlet_id)
        ).all()
        last_seq = {
            (day, prefix): last
            for day, prefix, last in session.execute(
                select(TicketSequence.day, TicketSequence.prefix, TicketSequence.last_seq).where(
                    TicketSequence.outlet_id == outlet_id
                )
            )
        }
        n_events = session.scalar(
            select(func.count()).where(
                LobbyEventRow.outlet_id == outlet_id, LobbyEventRow.kind == "issued"
            )
        )
    assert {r.id for r in rows} == {ticket_id for ticket_id, _ in issued}
    assert {(r.id, r.number) for r in rows} == set(issued)
    assert n_events == len(rows) == PROCESSES * per_process
    groups: dict[tuple[dt.date, str], list[int]] = {}
    for row in rows:
        assert row.number == format_number(row.prefix, row.seq)
        groups.setdefault((row.local_day, row.prefix), []).append(row.seq)
    local_days = {d.astimezone(dt.timezone(dt.timedelta(hours=8))).date() for d in days}
    assert {day for day, _ in groups} == local_days
    assert {prefix for _, prefix in groups} == {"A", "B"}
    for key, seqs in groups.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gap or duplicate in {key}"
        assert last_seq[key] == len(seqs)
    assert sum(map(len, groups.values())) == PROCESSES * per_process
    # Each kiosk's ticket counted once in the queue's tally, none lost to a concurrent one.
    by_service = Counter((row.local_day, row.service_code) for row in rows)
    assert queue_tally(tally_rows(db, outlet_id)) == dict(by_service)
