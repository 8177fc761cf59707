"""The worker's registry and schedule: jobs registered once, each held to its `every_s`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from manyi import worker

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_job_runs_again_only_when_its_interval_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[tuple[str, dt.datetime]] = []

    def job(name: str) -> Any:
        def run(db: Any, settings: Any, now: dt.datetime) -> worker.JobResult:
            runs.append((name, now))
            return worker.JobResult(done=0, summary="")

        return run

    jobs = (worker.WorkerJob("often", job("often")), worker.WorkerJob("slow", job("slow"), 60))
    clock = iter([T0, T0, T0 + dt.timedelta(seconds=30), T0 + dt.timedelta(seconds=30)])
    clock = iter([*clock, T0 + dt.timedelta(seconds=61), T0 + dt.timedelta(seconds=61)])
    monkeypatch.setattr(worker, "utcnow", lambda: next(clock))
    last_run: dict[str, dt.datetime] = {}
    for _ in range(3):
        worker.run_round(None, None, jobs, last_run)  # type: ignore[arg-type]
    assert [name for name, _ in runs] == ["often", "slow", "often", "often", "slow"]
    assert runs[-1] == ("slow", T0 + dt.timedelta(seconds=61))


def test_a_name_registers_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "_registry", {})
    first = worker.WorkerJob("scan", lambda db, settings, now: worker.JobResult(0, ""))
    second = worker.WorkerJob("scan", lambda db, settings, now: worker.JobResult(1, ""))
    worker.register(first)
    worker.register(second)
    assert worker.registered() == (first,)
