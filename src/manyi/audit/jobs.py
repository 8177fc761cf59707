"""The audit chain's worker job: anchor the head outside the database, every so often."""

from __future__ import annotations

import datetime as dt

from manyi.audit import service
from manyi.audit.anchors import DirectoryAnchorStore
from manyi.config import Settings
from manyi.db import Database
from manyi.worker import JobResult, WorkerJob


def _anchor(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    if settings.audit_anchor_dir is None:
        return JobResult(done=0, summary="no MANYI_AUDIT_ANCHOR_DIR: the head is not anchored")
    store = DirectoryAnchorStore(settings.audit_anchor_dir)
    kept, _ = store.read_all()
    newest = max((a.at for a in kept), default=None)
    if newest is not None and now - newest < dt.timedelta(minutes=settings.audit_anchor_minutes):
        return JobResult(done=0, summary="audit head anchored recently")
    with db.session() as session:
        where = service.anchor(session, store, now)
    if where is None:
        return JobResult(done=0, summary="audit head unchanged since its last anchor")
    return JobResult(done=1, summary=f"audit head anchored in {where}")


# Looked at every minute by one worker at a time; anchors at the configured interval.
JOBS = (WorkerJob("audit-anchor", _anchor, every_s=60, lease_s=60),)
