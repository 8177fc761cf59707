"""The notification feature's worker job: deliver the outbox."""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.notify.channels import default_channels
from manyi.notify.delivery import DeliveryReport, deliver_due
from manyi.worker import JobResult, WorkerJob


def run_once(db: Database, settings: Settings, now: dt.datetime) -> DeliveryReport:
    """One delivery pass with the configured channels; what `manyi worker` calls."""
    return deliver_due(db, default_channels(settings), now)


def line(report: DeliveryReport) -> str:
    text = f"sent {report.sent}, retried {report.retried}, failed {report.failed}"
    if report.released:
        text += f", handed back {report.released}"
    return text


def _deliver_notifications(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = run_once(db, settings, now)
    return JobResult(done=report.handled + report.released, summary=line(report))


JOBS = (WorkerJob("notify", _deliver_notifications),)
