"""Leases on worker jobs: a job registered with `lease_s` runs in one worker at a time, at
most once per lease, bank-wide.

Before such a pass, a worker takes the job's row in `worker_leases` with one filtered UPDATE
(`until <= now`) whose row count says who won, on both engines; the winner holds it for `lease_s`
and runs the pass, the others skip the job until the lease runs out. A worker that dies holds
it no longer than that. Choose `lease_s` longer than a pass takes. Jobs without a lease rely on
their own claims (a filtered UPDATE or SKIP LOCKED per item) and run in every worker.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from manyi.db import Base, UTCDateTime

NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class WorkerLease(Base):
    __tablename__ = "worker_leases"

    job: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="")
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def take(session: Session, job: str, holder: str, lease_s: float, now: dt.datetime) -> bool:
    """Hold `job` until now + lease_s if nobody holds it now; False if someone does."""
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        upsert(WorkerLease).values(job=job, holder="", until=NEVER).on_conflict_do_nothing()
    )
    taken = session.execute(
        update(WorkerLease)
        .where(
            WorkerLease.job == job,
            WorkerLease.until <= now,
        )
        .values(holder=holder, until=now + dt.timedelta(seconds=lease_s))
    )
    return bool(getattr(taken, "rowcount", 0))  # CursorResult: one row, or none
