"""Forecasting's worker jobs: flexible-counter advice per open outlet, and choosing each
outlet's wait predictor again on its own history."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.forecast import live_advice, live_predict
from manyi.worker import JobResult, WorkerJob


def _advise_lobbies(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    changed = live_advice.run_due(db, now)
    return JobResult(done=changed, summary=f"flexible-counter advice changed at {changed} outlets")


def _choose_predictors(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    chosen = live_predict.run_due(db, now)
    return JobResult(done=0, summary=f"wait predictor chosen again at {chosen} outlets")


JOBS = (
    WorkerJob("advice", _advise_lobbies),
    # Choosing again replays an outlet's history: one worker does it, at most every 10 minutes.
    WorkerJob("predictors", _choose_predictors, lease_s=600),
)
