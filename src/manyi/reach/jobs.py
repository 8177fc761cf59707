"""Customer reach's worker jobs: deliver the customer-message outbox, take the receipts and the
customers' replies (a TD withdraws consent: `replies`), and the queue alerts.

A worker keeps its gateways for its life (an SMPP bind stays open between passes, and a
gateway's receipts arrive on the connection that sent the messages).
"""

from __future__ import annotations

import datetime as dt

from manyi.config import Settings
from manyi.db import Database
from manyi.reach import delivery, queue_alerts, replies
from manyi.reach.adapters.gateway import Channel, MessageGateway
from manyi.reach.adapters.registry import gateways_from
from manyi.worker import JobResult, WorkerJob

_gateways: dict[int, dict[Channel, MessageGateway]] = {}


def gateways(settings: Settings) -> dict[Channel, MessageGateway]:
    """This process's gateways for these settings (built once)."""
    key = id(settings)
    if key not in _gateways:
        _gateways[key] = gateways_from(settings)
    return _gateways[key]


def run_once(db: Database, settings: Settings, now: dt.datetime) -> delivery.Report:
    chosen = gateways(settings)
    report = delivery.deliver_due(db, chosen, now)
    receipts = delivery.record_receipts(db, chosen, now)
    withdrawals = replies.record_replies(db, chosen, now)
    return delivery.Report(
        sent=report.sent,
        retried=report.retried,
        failed=report.failed,
        expired=report.expired,
        released=report.released,
        receipts=receipts,
        withdrawals=withdrawals,
    )


def _deliver(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = run_once(db, settings, now)
    done = (
        report.sent
        + report.retried
        + report.failed
        + report.expired
        + report.receipts
        + report.withdrawals
    )
    return JobResult(done=done, summary=report.line())


def _queue_alerts(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    written = queue_alerts.watch_pass(db, settings.zone, now)
    return JobResult(done=written, summary=f"queue alerts written {written}")


# The queue alerts first, so this round's delivery sends them; the watch pass is bank-wide
# (one worker at a time, at most every 10 s), delivery is claimed message by message.
JOBS = (
    WorkerJob("reach-queue-alerts", _queue_alerts, every_s=10.0, lease_s=10.0),
    WorkerJob("reach-messages", _deliver),
)
