"""What lobby guidance publishes for the cockpit's daily roll-ups (listed in PUBLIC): per outlet
and local day, the customers met at the door, those diverted (in all and by channel:
`CHANNELS`), the teaching sessions and the seconds of queueing the completed diversions avoided
(`domain.triage.wait_avoided_s`, in SQL).

An encounter counts on its `local_day`. New encounters are found by id (`changed_after`); a
result recorded later is on the encounter's own day (`triage.set_result` refuses other days), so
the cockpit's settling of a finished day picks it up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from manyi.guidance.domain.triage import DIVERSIONS, Outcome
from manyi.guidance.tables import GuidanceEncounter as G

TABLE = G.__tablename__
# The diversions by channel, in the order the cockpit shows them.
CHANNELS = (
    Outcome.SELF_SERVICE.value,
    Outcome.MOBILE.value,
    Outcome.ONLINE.value,
    Outcome.OTHER_OUTLET.value,
    Outcome.APPOINTMENT.value,
)
_DIVERTED = G.outcome.in_(sorted(o.value for o in DIVERSIONS))
_AVOIDED = case(
    (
        and_(_DIVERTED, G.completed.is_(True), G.ticket_id.is_(None)),
        func.coalesce(G.predicted_wait_s, 0),
    ),
    else_=0,
)


@dataclass(frozen=True, slots=True)
class DaySums:
    met: int
    diverted: int
    taught: int
    wait_avoided_s: int
    by_channel: dict[str, int]  # diversions per channel of CHANNELS


def by_outlet_day(
    session: Session, outlet_ids: Collection[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], DaySums]:
    """{(outlet id, local day): its sums} for days first…last (included); outlet-days without
    encounters are absent."""
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
            *[func.sum(case((G.outcome == channel, 1), else_=0)) for channel in CHANNELS],
        )
        .where(G.outlet_id.in_(list(outlet_ids)), G.local_day >= first, G.local_day <= last)
        .group_by(G.outlet_id, G.local_day)
    ).all()
    return {
        (int(row[0]), row[1]): DaySums(
            int(row[2]),
            int(row[3] or 0),
            int(row[4] or 0),
            int(row[5] or 0),
            {channel: int(n or 0) for channel, n in zip(CHANNELS, row[6:], strict=True)},
        )
        for row in rows
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
