"""Worker processes for the lobby concurrency tests.

Each worker is started with the 'spawn' method, so it shares nothing with
the test process but the database: it opens its own `Database`, builds its
operators from rows, waits at a barrier so that all workers start together,
and runs every action in its own short unit of work, as a web request would.
Results go back through a queue as plain values; an unexpected exception is
reported (with its traceback) instead of being raised, so the test can show it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

# Spawned children get the parent's sys.path; the root is passed as well in case
# a runner changes that (the package `tests` lives at the project root).


def _on_path(root: str) -> None:
    if root not in sys.path:
        sys.path.insert(0, root)


@dataclass
class CallReport:
    worker: int
    called: list[tuple[int, int]] = field(default_factory=list)  # (ticket id, counter number)
    completed: int = 0
    empty: int = 0  # call-next answers with nobody left for the counter
    busy: int = 0  # "the queue is too busy" conflicts, retried
    seconds: float = 0.0
    error: str | None = None


@dataclass
class IssueReport:
    worker: int
    issued: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, number)
    seconds: float = 0.0
    error: str | None = None


def call_worker(
    root: str,
    worker: int,
    url: str,
    outlet_code: str,
    numbers: list[int],
    who: dict[str, Any],
    now: dt.datetime,
    barrier: Any,
    results: Any,
) -> None:
    """Work `numbers` (call next, complete) until none of them finds anyone waiting.

    `who` is {"device_ids": {number: id}} for a calling pad at each counter, or
    {"tellers": {number: username}} for tellers signed on to their own counter.
    """
    _on_path(root)
    report = CallReport(worker)
    try:
        from manyi.db import Database
        from manyi.errors import Conflict
        from manyi.lobby import counters

        db = Database(url)
        operators = _operators(db, who, numbers)
        barrier.wait(timeout=120)
        start = time.perf_counter()
        active = list(numbers)
        while active:
            for number in list(active):
                operator = operators[number]
                try:
                    with db.session() as session:
                        result = counters.call_next(session, operator, outlet_code, number, now)
                except Conflict as exc:
                    if "too busy" not in exc.message:
                        raise
                    report.busy += 1
                    continue
                if result.ticket is None:
                    report.empty += 1
                    active.remove(number)
                    continue
                report.called.append((result.ticket.id, number))
                with db.session() as session:
                    counters.complete(session, operator, outlet_code, number, now, result.ticket.id)
                report.completed += 1
        report.seconds = time.perf_counter() - start
        db.dispose()
    except BaseException:
        report.error = traceback.format_exc()
        _release(barrier)
    results.put(report)


def issue_worker(
    root: str,
    worker: int,
    url: str,
    kiosk_id: int,
    plan: list[tuple[str, dt.datetime]],
    barrier: Any,
    results: Any,
) -> None:
    """Issue one ticket per (service code, now) in `plan`, each in its own transaction."""
    _on_path(root)
    report = IssueReport(worker)
    try:
        from manyi.db import Database
        from manyi.lobby import service
        from manyi.org.tables import DeviceToken

        db = Database(url)
        with db.session() as session:
            kiosk = service.Operator.device(session.get_one(DeviceToken, kiosk_id))
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for code, now in plan:
            with db.session() as session:
                issued = service.issue_ticket(session, kiosk, None, code, now)
            report.issued.append((issued.ticket.id, issued.ticket.number))
        report.seconds = time.perf_counter() - start
        db.dispose()
    except BaseException:
        report.error = traceback.format_exc()
        _release(barrier)
    results.put(report)


def where() -> str:
    """This module's file, as a spawned child finds it."""
    return __file__


def _operators(db: Any, who: dict[str, Any], numbers: list[int]) -> dict[int, Any]:
    from manyi import audit
    from manyi.lobby.service import Operator
    from manyi.org import staff as staff_service
    from manyi.org.tables import DeviceToken

    with db.session() as session:
        if "device_ids" in who:  # a calling pad at each counter, bound to it
            return {
                number: Operator.device(session.get_one(DeviceToken, who["device_ids"][number]))
                for number in numbers
            }
        operators = {}
        for number in numbers:
            staff = staff_service.by_username(session, who["tellers"][number])
            assert staff is not None
            actor = audit.Actor(
                id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
            )
            operators[number] = Operator.staff(actor, staff.permissions)
        return operators


def _release(barrier: Any) -> None:
    # A worker that failed before the start must not leave the others waiting.
    with contextlib.suppress(Exception):
        barrier.abort()
