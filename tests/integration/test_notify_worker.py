"""`manyi worker`: runs the background jobs in rounds, logs counts, stops cleanly."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

import manyi.cli  # noqa: F401  (registers every feature's worker jobs)
from manyi import worker
from manyi.analytics import retention
from manyi.config import Settings, get_settings
from manyi.db import Database
from manyi.notify import service
from manyi.notify.tables import NotifyMessage
from tests.conftest import FIXED_NOW, Bank

PHONE = "138 1234 5678"


# The registered jobs, in the order a round runs them.
JOBS = (
    "audit-anchor, directory-sweep, complaints, attachment-files, rectification-escalation,"
    " misconduct-deadlines, rectification-files, guidance-selfcheck, emerging-issues,"
    " complaint-rollup, notify, advice, predictors, counter,"
    " quality-rollups, survey-invitations, appointment-reminders, appointment-no-shows,"
    " reach-queue-alerts, reach-messages, event-partitions, analytics-compact, cockpit-rollups,"
    " stream-publish, analytics-land"
)


def worker_app() -> typer.Typer:
    """A command group with `worker` registered as the top-level `manyi` app registers it."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """manyi"""

    app.command("worker")(worker.worker_command)
    return app


@pytest.fixture
def runner(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    frozen_clock: dt.datetime,  # the worker reads the clock itself
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    caplog.set_level(logging.INFO, logger="manyi.worker")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def add(db: Database, bank: Bank, channel: str = "in_app", **extra: object) -> int:
    with db.session() as session:
        return service.enqueue(
            session,
            channel=channel,
            recipient_staff_id=bank.staff["teller_a"],
            subject="Please come to counter 3",
            body="",
            now=FIXED_NOW - dt.timedelta(minutes=1),  # due at the worker's (frozen) now
            unit_id=bank.unit("OUT-A"),
            **extra,  # type: ignore[arg-type]
        )


def states(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(NotifyMessage.state).order_by(NotifyMessage.id)))


def worker_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "manyi.worker"]


def test_once_runs_every_job_once_and_logs_the_counts(
    db: Database, bank: Bank, runner: CliRunner, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    add(db, bank)
    add(db, bank, channel="sms", address=PHONE)
    # PostgreSQL: the lobby-event partitions of the frozen clock's months are ready (migration
    # 0042 made the real clock's), so the partition job has nothing to do in this round.
    retention.prepare_months(db, FIXED_NOW)
    result = runner.invoke(worker_app(), ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert states(db) == ["sent", "sent"]
    assert (tmp_path / "var" / "sms-outbox.jsonl").exists()
    assert worker_lines(caplog) == [
        "worker: notify: sent 2, retried 0, failed 0",
        f"worker: one round of {JOBS}: 2 done, 0 failed",
    ]
    caplog.clear()
    result = runner.invoke(worker_app(), ["worker", "--once"])
    assert result.exit_code == 0
    assert worker_lines(caplog) == [f"worker: one round of {JOBS}: 0 done, 0 failed"]


def test_once_exits_1_when_a_job_fails_and_still_runs_the_others(
    db: Database,
    bank: Bank,
    runner: CliRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(db: Database, settings: Settings, now: dt.datetime) -> worker.JobResult:
        raise RuntimeError("the scan is broken")

    jobs = (worker.WorkerJob("scan", broken), *worker.registered())
    monkeypatch.setattr(worker, "_registry", {job.name: job for job in jobs})
    add(db, bank)
    result = runner.invoke(worker_app(), ["worker", "--once"])
    assert result.exit_code == 1
    assert states(db) == ["sent"]
    failure = next(r for r in caplog.records if r.getMessage() == "worker: job scan failed")
    assert failure.levelno == logging.ERROR and failure.exc_info is not None
    assert f"worker: one round of scan, {JOBS}: 1 done, 1 failed" in worker_lines(caplog)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_loop_stops_cleanly_on_ctrl_c_or_sigterm(
    db: Database,
    bank: Bank,
    runner: CliRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    signum: signal.Signals,
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    waits: list[float] = []

    def wait_then_signal(stop: threading.Event, seconds: float) -> None:
        waits.append(seconds)
        add(db, bank)  # arrives while the worker waits: the round after the signal must not run
        signal.raise_signal(signum)  # as Ctrl-C or `systemctl stop` would, mid-wait

    monkeypatch.setattr(worker, "_wait", wait_then_signal)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    add(db, bank)
    add(db, bank)
    result = runner.invoke(worker_app(), ["worker", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    # Round 1 sent two, so round 2 ran at once; it found nothing and waited; then the signal.
    assert waits == [0.5]
    assert states(db) == ["sent", "sent", "pending"]
    lines = worker_lines(caplog)
    assert lines[0] == (f"worker: running {JOBS} every 0.5 s; Ctrl-C stops")
    assert "worker: notify: sent 2, retried 0, failed 0" in lines
    assert lines[-1] == "worker: stopped after 2 rounds, 2 done in total"
    assert {sig: signal.getsignal(sig) for sig in before} == before  # handlers restored


def test_the_loop_stops_on_keyboard_interrupt_raised_mid_round(
    db: Database,
    bank: Bank,
    runner: CliRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Where no signal handler is set (not the main thread), Ctrl-C is a KeyboardInterrupt.
    def interrupted(db: Database, settings: Settings, now: dt.datetime) -> worker.JobResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(worker, "_registry", {"slow": worker.WorkerJob("slow", interrupted)})
    result = runner.invoke(worker_app(), ["worker"])
    assert result.exit_code == 0, result.output
    assert worker_lines(caplog)[-1] == "worker: stopped after 0 rounds, 0 done in total"


def test_interval_must_be_positive(runner: CliRunner) -> None:
    result = runner.invoke(worker_app(), ["worker", "--interval", "0"])
    assert result.exit_code == 2
