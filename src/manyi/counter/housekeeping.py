"""The counter's housekeeping, run by `manyi worker` about once a minute.

1. **Expired pre-fills.** A pre-fill's form holds the customer's personal data (name, ID
   number, mobile, address …) and is of no use once its code has expired. Expired
   pre-fills no bundle refers to are deleted. A bundle keeps its own copy of the values
   (`bundles.open_bundle`) and refers to its pre-fill by a foreign key, so a pre-fill a
   bundle was opened from stays as a row, with its values and ticket token blanked: the
   bundle's measures still know the channel and the time it was filled. A pre-fill is
   touched only `GRACE` after it expired, so a teller opening it in its last second
   (`find_prefill` checks expiry at the teller's own clock) never races the purge.
2. **Forgotten claims.** A remote supervisor who claimed an authorisation request and
   walked away would keep the customer waiting: a claim older than `claim_minutes` goes
   back to the queue (state pending) with an audit event. The UPDATE is filtered on the
   claim it saw, so a supervisor deciding at that very moment wins or loses cleanly.

Several workers may run this at once: the statements are filtered UPDATEs and DELETEs,
safe to repeat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter.tables import CounterAuthorisation, CounterBundle, CounterPrefill
from manyi.db import Database

__all__ = [
    "CLAIM_MINUTES",
    "EVERY",
    "GRACE",
    "Report",
    "purge_expired_prefills",
    "release_stale_claims",
    "run",
    "run_due",
]

EVERY: Final = dt.timedelta(minutes=1)
GRACE: Final = dt.timedelta(minutes=5)
CLAIM_MINUTES: Final = 10
WORKER: Final = audit.Actor(id=None, name="worker")


@dataclass(frozen=True)
class Report:
    deleted: int  # expired pre-fills removed
    blanked: int  # expired pre-fills of bundles, their values removed
    released: int  # claims put back in the queue

    @property
    def done(self) -> int:
        return self.deleted + self.blanked + self.released

    def line(self) -> str:
        return (
            f"counter: {self.deleted} expired pre-fills deleted, {self.blanked} blanked; "
            f"{self.released} forgotten claims released"
        )


def purge_expired_prefills(session: Session, now: dt.datetime) -> tuple[int, int]:
    """Delete or blank the pre-fills expired `GRACE` ago; returns (deleted, blanked)."""
    expired = CounterPrefill.expires_at <= now - GRACE
    used = select(CounterBundle.prefill_id).where(CounterBundle.prefill_id.is_not(None))
    deleted = session.execute(
        delete(CounterPrefill)
        .where(expired, CounterPrefill.id.not_in(used))
        .execution_options(synchronize_session=False)
    )
    # JSON has no equality on PostgreSQL; its text does ("{}" as written by the blanking).
    blanked = session.execute(
        update(CounterPrefill)
        .where(
            expired,
            CounterPrefill.id.in_(used),
            cast(CounterPrefill.form_values, Text) != "{}",
        )
        .values(form_values={}, ticket_token=None)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount, blanked.rowcount  # type: ignore[attr-defined]


def release_stale_claims(
    session: Session, now: dt.datetime, claim_minutes: int = CLAIM_MINUTES
) -> Sequence[CounterAuthorisation]:
    """Put claims held longer than `claim_minutes` back in the queue; returns them."""
    stale = session.scalars(
        select(CounterAuthorisation)
        .where(
            CounterAuthorisation.state == "claimed",
            CounterAuthorisation.claimed_at <= now - dt.timedelta(minutes=claim_minutes),
        )
        .order_by(CounterAuthorisation.claimed_at, CounterAuthorisation.id)
    ).all()
    released = []
    for row in stale:
        held_by, since = row.claimed_by_id, row.claimed_at
        won = session.execute(
            update(CounterAuthorisation)
            .where(
                CounterAuthorisation.id == row.id,
                CounterAuthorisation.state == "claimed",
                CounterAuthorisation.claimed_by_id == held_by,
                CounterAuthorisation.claimed_at == since,
            )
            .values(state="pending", claimed_by_id=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue  # decided or released meanwhile
        session.refresh(row)
        bundle = session.get_one(CounterBundle, row.bundle_id)
        audit.record(
            session,
            WORKER,
            entity_type="counter_authorisation",
            entity_id=row.id,
            action="counter.authorisation.release_stale",
            summary={
                "bundle": bundle.reference,
                "level": row.level,
                "state": row.state,
                "held_by": held_by,
                "claimed_at": since.isoformat() if since else None,
                "after_minutes": claim_minutes,
            },
            unit_id=row.outlet_id,
            unit_path=row.outlet_path,
            now=now,
        )
        released.append(row)
    return released


def run(db: Database, now: dt.datetime, *, claim_minutes: int = CLAIM_MINUTES) -> Report:
    """One pass of both chores, each in its own unit of work."""
    with db.session() as session:
        deleted, blanked = purge_expired_prefills(session, now)
    with db.session() as session:
        released = len(release_stale_claims(session, now, claim_minutes))
    return Report(deleted, blanked, released)


# When this process looks next, per database: the worker's rounds come every few seconds.
_next_at: dict[str, dt.datetime] = {}


def run_due(db: Database, now: dt.datetime, *, claim_minutes: int = CLAIM_MINUTES) -> Report:
    """`run` when `EVERY` has passed since this process last ran it, else an empty report."""
    due = _next_at.get(db.url)
    if due is not None and now < due:
        return Report(0, 0, 0)
    _next_at[db.url] = now + EVERY
    return run(db, now, claim_minutes=claim_minutes)
