"""Leased worker jobs: one worker at a time, at most once per lease, on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from manyi import worker, worker_leases
from manyi.db import Database

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def test_a_lease_goes_to_one_holder_until_it_runs_out(db: Database) -> None:
    with db.session() as session:
        assert worker_leases.take(session, "predictors", "host-a:1", 600, T0)
    with db.session() as session:  # another worker, a minute later: held
        assert not worker_leases.take(
            session, "predictors", "host-b:2", 600, T0 + dt.timedelta(minutes=1)
        )
    with db.session() as session:  # the holder itself waits out its lease too
        assert not worker_leases.take(
            session, "predictors", "host-a:1", 600, T0 + dt.timedelta(minutes=9)
        )
    with db.session() as session:  # run out: the next worker takes it
        assert worker_leases.take(
            session, "predictors", "host-b:2", 600, T0 + dt.timedelta(minutes=10)
        )
    with db.session() as session:
        row = session.get_one(worker_leases.WorkerLease, "predictors")
        assert row.holder == "host-b:2" and row.until == T0 + dt.timedelta(minutes=20)
    with db.session() as session:  # another job has its own lease
        assert worker_leases.take(session, "advice", "host-a:1", 60, T0 + dt.timedelta(minutes=10))


def test_two_workers_run_a_leased_job_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []

    def run(db: Database, settings: Any, now: dt.datetime) -> worker.JobResult:
        runs.append(worker.HOLDER)
        return worker.JobResult(done=1, summary="")

    job = worker.WorkerJob("heavy", run, lease_s=600)
    monkeypatch.setattr(worker, "utcnow", lambda: T0)
    for holder in ("host-a:1", "host-b:2"):  # two workers' rounds at the same moment
        monkeypatch.setattr(worker, "HOLDER", holder)
        _done, failed = worker.run_round(db, None, (job,))  # type: ignore[arg-type]
        assert failed == 0
    assert runs == ["host-a:1"]
