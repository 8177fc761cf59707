"""What the counter publishes for other features to read (listed in PUBLIC): per-outlet sums
of the bundle measures (`measures.py`), for the cockpit's daily roll-ups.

A bundle counts on its `local_day` once finished: its transactions (items), the forms it saved
(a bundle of n items replaces n forms by one: n − 1), the fields, PIN entries and
authorisations it saved. `changed_after` says which outlet-days new bundles touched, by bundle
id (ids only grow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.counter.tables import CounterBundleMeasure as M


@dataclass(frozen=True, slots=True)
class BundleSums:
    finished: int
    transactions: int
    forms_saved: int
    fields_saved: int
    pins_saved: int
    authorisations_saved: int


def bundles_by_outlet_day(
    session: Session, outlet_ids: Collection[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], BundleSums]:
    """{(outlet id, local day): its finished bundles' sums} for days first…last (included);
    outlet-days without bundles are absent."""
    if not outlet_ids:
        return {}
    rows = session.execute(
        select(
            M.outlet_id,
            M.local_day,
            func.count(),
            func.sum(M.items),
            func.sum(M.items - 1),
            func.sum(M.fields_separately - M.fields_merged),
            func.sum(M.pin_entries_saved),
            func.sum(M.authorisations_saved),
        )
        .where(
            M.outlet_id.in_(list(outlet_ids)),
            M.local_day >= first,
            M.local_day <= last,
            M.finished_at.is_not(None),
        )
        .group_by(M.outlet_id, M.local_day)
    ).all()
    return {(int(r[0]), r[1]): BundleSums(*(int(v or 0) for v in r[2:])) for r in rows}


def latest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(M.bundle_id))) or 0)


def changed_after(session: Session, after: int, upto: int) -> set[tuple[int, dt.date]]:
    """The (outlet, local day) of the bundles with ids in (after, upto]."""
    rows = session.execute(
        select(M.outlet_id, M.local_day).where(M.bundle_id > after, M.bundle_id <= upto).distinct()
    ).all()
    return {(int(o), d) for o, d in rows}


def outlets_on(session: Session, day: dt.date) -> set[int]:
    """The outlets with rows on `day` (a re-run of that day recomputes them)."""
    return {
        int(o) for o in session.scalars(select(M.outlet_id).where(M.local_day == day).distinct())
    }
