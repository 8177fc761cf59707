"""`manyi worker`: the background jobs of every feature, in rounds, until stopped.

Each feature registers its jobs (`register(WorkerJob(...))`, done by `manyi.cli` from each
feature's `jobs` module), so the worker knows no feature. A round runs every registered job
that is due once, in registration order; after a round that found nothing, the worker waits.
See docs/notify.md ("The worker").
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Annotated

import typer

from manyi import cli_support, dbops, log_lines, worker_leases
from manyi.config import Settings
from manyi.db import Database, utcnow

log = logging.getLogger("manyi.worker")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"  # who holds a lease, for whoever looks


@dataclass(frozen=True)
class JobResult:
    done: int  # how many things the pass did; 0 means it found nothing to do
    summary: str  # one line for the log


@dataclass(frozen=True)
class WorkerJob:
    """A background job: one pass over whatever is due, safe to run from several workers.

    `run(db, settings, now)` claims its work atomically (a filtered UPDATE or SKIP LOCKED, with a
    lease on what it holds where a pass can be interrupted), so two workers never do one thing
    twice and a pass run again finds nothing left: that is each job's contract. `every_s` is its
    schedule: the least time between two passes of this job in one worker (0: every round).
    `lease_s`, when set, makes the job bank-wide: one worker at a time holds it, and it runs at
    most once per lease however many workers there are (`manyi.worker_leases`).
    """

    name: str
    run: Callable[[Database, Settings, dt.datetime], JobResult]
    every_s: float = 0.0
    lease_s: float | None = None


_registry: dict[str, WorkerJob] = {}


def register(*jobs: WorkerJob) -> None:
    """Add jobs to what `manyi worker` runs, in the order given (a name registers once)."""
    for job in jobs:
        _registry.setdefault(job.name, job)


def registered() -> tuple[WorkerJob, ...]:
    return tuple(_registry.values())


def run_round(
    db: Database,
    settings: Settings,
    jobs: Sequence[WorkerJob],
    last_run: dict[str, dt.datetime] | None = None,
) -> tuple[int, int]:
    """Run each job that is due once, logging what it did; returns (things done, jobs failed).

    A job that raises is logged and counted, and the others still run: one
    broken job must not stop notifications. `last_run` (when each job last ran, by
    name) holds each job to its `every_s`.
    """
    done = failed = 0
    for job in jobs:
        now = utcnow()
        if last_run is not None and job.every_s:
            previous = last_run.get(job.name)
            if previous is not None and (now - previous).total_seconds() < job.every_s:
                continue
            last_run[job.name] = now
        if job.lease_s is not None:
            with db.session() as session:
                held = worker_leases.take(session, job.name, HOLDER, job.lease_s, now)
            if not held:
                continue  # another worker holds it, or ran it less than a lease ago
        try:
            result = job.run(db, settings, now)
        except Exception:
            log.exception("worker: job %s failed", job.name)
            failed += 1
            continue
        done += result.done
        if result.done:
            log.info("worker: %s: %s", job.name, result.summary)
        else:
            log.debug("worker: %s: nothing due", job.name)
    return done, failed


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C (SIGINT) or SIGTERM ends the loop after the job running now.

    A pass interrupted half-way leaves its claimed messages `sending` until
    their lease runs out, so the first signal lets it finish; a second Ctrl-C
    stops at once. Signal handlers can only be set in the main thread;
    elsewhere Ctrl-C arrives as KeyboardInterrupt, which the loop also handles.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("worker: stopping after the current pass (Ctrl-C again stops at once)")
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


def _configure_logging(settings: Settings) -> None:
    # Does nothing when logging is already set up (by a test runner, say).
    log_lines.configure(settings.log_level, settings.log_format)


def worker_command(
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait after a round that found nothing due."),
    ] = 5.0,
    once: Annotated[
        bool, typer.Option("--once", help="Run every job once and exit (1 if a job failed).")
    ] = False,
) -> None:
    """Run the background jobs every feature registered, until Ctrl-C or SIGTERM."""
    settings = cli_support.settings()
    _configure_logging(settings)
    try:  # jobs on a schema their code was not written for would fail, or write amiss
        dbops.require_current(settings.database_url)
    except (dbops.SchemaMismatch, dbops.SchemaUnreadable) as exc:
        raise cli_support.fail(str(exc)) from None
    db = cli_support.database(settings)
    jobs = registered()
    names = ", ".join(job.name for job in jobs)
    try:
        if once:
            done, failed = run_round(db, settings, jobs)
            log.info("worker: one round of %s: %d done, %d failed", names, done, failed)
            if failed:
                raise typer.Exit(1)
            return
        stop = threading.Event()
        rounds = total = 0
        last_run: dict[str, dt.datetime] = {}
        log.info("worker: running %s every %g s; Ctrl-C stops", names, interval)
        with _stop_on_signals(stop):
            try:
                while not stop.is_set():
                    done, failed = run_round(db, settings, jobs, last_run)
                    rounds, total = rounds + 1, total + done
                    # After a round that did something, look again at once: more may be due.
                    if not done or failed:
                        _wait(stop, interval)
            except KeyboardInterrupt:
                pass
        log.info("worker: stopped after %d rounds, %d done in total", rounds, total)
    finally:
        db.dispose()
