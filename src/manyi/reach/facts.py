"""What reach publishes for other features to read (listed in PUBLIC): appointments per outlet
and day, for the cockpit's daily roll-ups. *Booked* counts the day's appointments not
cancelled; *kept* those checked in. `changed_after`: the outlet-days of new bookings, by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from manyi.reach.appointment_tables import Appointment as A


def appointments_by_outlet_day(
    session: Session, outlet_ids: Collection[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """{(outlet id, local day): (booked, kept)} for days first…last (included); outlet-days
    without appointments are absent."""
    if not outlet_ids:
        return {}
    rows = session.execute(
        select(
            A.outlet_id,
            A.local_day,
            func.sum(case((A.state != "cancelled", 1), else_=0)),
            func.sum(case((A.state == "checked_in", 1), else_=0)),
        )
        .where(A.outlet_id.in_(list(outlet_ids)), A.local_day >= first, A.local_day <= last)
        .group_by(A.outlet_id, A.local_day)
    ).all()
    return {(int(o), d): (int(b or 0), int(k or 0)) for o, d, b, k in rows}


def latest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(A.id))) or 0)


def changed_after(session: Session, after: int, upto: int) -> set[tuple[int, dt.date]]:
    rows = session.execute(
        select(A.outlet_id, A.local_day).where(A.id > after, A.id <= upto).distinct()
    ).all()
    return {(int(o), d) for o, d in rows}


def outlets_on(session: Session, day: dt.date) -> set[int]:
    """The outlets with rows on `day` (a re-run of that day recomputes them)."""
    return {
        int(o) for o in session.scalars(select(A.outlet_id).where(A.local_day == day).distinct())
    }
