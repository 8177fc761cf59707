"""`manyi notify ...` and `manyi worker`: deliver the outbox from a terminal or a service unit."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Annotated

import typer

from manyi.config import Settings
from manyi.db import Database, utcnow
from manyi.notify.channels import default_channels
from manyi.notify.delivery import DeliveryReport, deliver_due

app = typer.Typer(help="Notifications to staff: the outbox.", no_args_is_help=True)
log = logging.getLogger("manyi.worker")


def run_once(db: Database, settings: Settings, now: dt.datetime) -> DeliveryReport:
    """One delivery pass with the configured channels; what `manyi worker` calls."""
    return deliver_due(db, default_channels(settings), now)


def _line(report: DeliveryReport) -> str:
    text = f"sent {report.sent}, retried {report.retried}, failed {report.failed}"
    if report.released:
        text += f", handed back {report.released}"
    return text


@app.command("deliver")
def deliver(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep delivering until interrupted (Ctrl-C).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds between passes with --loop when nothing was due."),
    ] = 5.0,
) -> None:
    """Send the notifications that are due and print how many were sent, retried, failed."""
    from manyi.cli import _database, _settings

    settings = _settings()
    db = _database(settings)
    try:
        if not loop:
            typer.echo(_line(run_once(db, settings, utcnow())))
            return
        total = DeliveryReport()
        typer.echo(f"delivering every {interval:g} s; Ctrl-C stops")
        try:
            while True:
                report = run_once(db, settings, utcnow())
                total += report
                if report.handled or report.released:
                    typer.echo(_line(report))
                # After a pass that did something, look again at once: more may be due.
                if report.handled + report.released == 0:
                    time.sleep(interval)
        except KeyboardInterrupt:
            typer.echo(f"stopped; in total {_line(total)}")
    finally:
        db.dispose()


# --- manyi worker -----------------------------------------------------------------------


@dataclass(frozen=True)
class JobResult:
    done: int  # how many things the pass did; 0 means it found nothing to do
    summary: str  # one line for the log


@dataclass(frozen=True)
class WorkerJob:
    """A background job: one pass over whatever is due, safe to run from several workers."""

    name: str
    run: Callable[[Database, Settings, dt.datetime], JobResult]


def _deliver_notifications(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = run_once(db, settings, now)
    return JobResult(done=report.handled + report.released, summary=_line(report))


def _advise_lobbies(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    from manyi.forecast.live_advice import run_due

    changed = run_due(db, now)
    return JobResult(done=changed, summary=f"flexible-counter advice changed at {changed} outlets")


def _choose_predictors(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    from manyi.forecast.live_predict import run_due

    chosen = run_due(db, now)
    return JobResult(done=0, summary=f"wait predictor chosen again at {chosen} outlets")


def _scan_complaint_deadlines(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    from manyi.complaints.escalation import scan

    report = scan(db, now)
    return JobResult(
        done=report.done,
        summary=f"complaints: looked at {report.looked}, warned {report.warned}, "
        f"escalated {report.escalated}, closed {report.closed}",
    )


def _counter_housekeeping(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    from manyi.counter.housekeeping import run_due

    report = run_due(db, now, claim_minutes=settings.counter_claim_minutes)  # once a minute
    return JobResult(done=report.done, summary=report.line())


# What `manyi worker` runs each round, in order. A new background job (the
# outbox retention, say) is one more entry here.
WORKER_JOBS: tuple[WorkerJob, ...] = (
    WorkerJob("complaints", _scan_complaint_deadlines),  # first: its warnings go out this round
    WorkerJob("notify", _deliver_notifications),
    WorkerJob("advice", _advise_lobbies),
    WorkerJob("predictors", _choose_predictors),
    WorkerJob("counter", _counter_housekeeping),
)


def run_round(db: Database, settings: Settings, jobs: Sequence[WorkerJob]) -> tuple[int, int]:
    """Run each job once, logging what it did; returns (things done, jobs that failed).

    A job that raises is logged and counted, and the others still run: one
    broken job must not stop notifications.
    """
    done = failed = 0
    for job in jobs:
        try:
            result = job.run(db, settings, utcnow())
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
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def worker_command(
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait after a round that found nothing due."),
    ] = 5.0,
    once: Annotated[
        bool, typer.Option("--once", help="Run every job once and exit (1 if a job failed).")
    ] = False,
) -> None:
    """Run the background jobs (today: notification delivery) until Ctrl-C or SIGTERM."""
    from manyi.cli import _database, _settings

    settings = _settings()
    _configure_logging(settings)
    db = _database(settings)
    jobs = WORKER_JOBS
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
        log.info("worker: running %s every %g s; Ctrl-C stops", names, interval)
        with _stop_on_signals(stop):
            try:
                while not stop.is_set():
                    done, failed = run_round(db, settings, jobs)
                    rounds, total = rounds + 1, total + done
                    # After a round that did something, look again at once: more may be due.
                    if not done or failed:
                        _wait(stop, interval)
            except KeyboardInterrupt:
                pass
        log.info("worker: stopped after %d rounds, %d done in total", rounds, total)
    finally:
        db.dispose()
