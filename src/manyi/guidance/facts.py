"""What lobby guidance publishes for the cockpit's daily roll-ups (listed in PUBLIC): per outlet
and local day, the customers met at the door, those diverted, the teaching sessions and the
seconds of queueing the completed diversions avoided (`domain.triage.wait_avoided_s`, in SQL).

An encounter counts on its `local_day`. New encounters are found by id (`changed_after`); a
result recorded later is on the encounter's own day (`triage.set_result` refuses other days), so
the cockpit's settling of a finished day picks it up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from manyi.guidance.domain.triage import DIVERSIONS
from manyi.guidance.tables import GuidanceEncounter as G

TABLE = G.__tablename__
_DIVERTED = G.outcome.in_(sorted(o.value for o in DIVERSIONS))
_AVOIDED = case(
    (
        and_(_DIVERTED, G.completed.is_(True), G.ticket_id.is_(None)),
        func.coalesce(G.predicted_wait_s, 0),
    ),
    else_=0,
)


def by_outlet_day(
    session: Session, outlet_ids: Collection[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], tuple[int, int, int, int]]:
    """{(outlet id, local day): (met, diverted, taught, wait avoided s)} for days first…last
    (included); outlet-days without encounters are absent."""
    if not outlet_ids:
        return {}
    rows = session.execute(
        select(
            G.outlet_id,
            G.local_day,
            func.count(),
            func.sum(case((_DIVERTED, 1), else_=0)),
            func.sum(case((G.taught.is_(True), 1), else_=0)),
            func.sum(_AVOIDED),
        )
        .where(G.outlet_id.in_(list(outlet_ids)), G.local_day >= first, G.local_day <= last)
        .group_by(G.outlet_id, G.local_day)
    ).all()
    return {
        (int(o), d): (int(n), int(dv or 0), int(t or 0), int(w or 0)) for o, d, n, dv, t, w in rows
    }


def latest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(G.id))) or 0)


def changed_after(session: Session, after: int, upto: int) -> set[tuple[int, dt.date]]:
    rows = session.execute(
        select(G.outlet_id, G.local_day).where(G.id > after, G.id <= upto).distinct()
    ).all()
    return {(int(o), d) for o, d in rows}


def outlets_on(session: Session, day: dt.date) -> set[int]:
    """The outlets with encounters on `day` (a re-run of that day recomputes them)."""
    return {
        int(o) for o in session.scalars(select(G.outlet_id).where(G.local_day == day).distinct())
    }
