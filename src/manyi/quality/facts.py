"""What quality publishes for other features to read (listed in PUBLIC): per-outlet
satisfaction over a window, and which outlets' satisfaction is low.

An outlet's satisfaction counts the answers on a 1–5 CSAT scale (surveys and imports: 4 and 5
are satisfied) and the rating pad's answers (very satisfied and satisfied are satisfied). It is
**low** when it has at least `MIN_ANSWERS` answers in the window and under `LOW_SHARE` of them
are satisfied (80 %: the level the bank's satisfaction reports mark red). Fewer answers say
nothing either way: such an outlet is not flagged. Supervision's spot-check sampler weighs
low-satisfaction outlets up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from manyi.lobby.tables import Rating
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.quality.domain.measures import CSAT_TOP
from manyi.quality.tables import QualityResponse

LOW_SHARE = 0.80
MIN_ANSWERS = 10


@dataclass(frozen=True, slots=True)
class Satisfaction:
    answers: int
    satisfied: int

    @property
    def share(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None

    @property
    def low(self) -> bool:
        return self.answers >= MIN_ANSWERS and self.satisfied < LOW_SHARE * self.answers


def by_outlet(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> dict[int, Satisfaction]:
    """{outlet id: its answers and satisfied answers in [since, until)} within the scope."""
    counts: dict[int, list[int]] = {}
    surveys = session.execute(
        select(
            QualityResponse.outlet_id,
            func.count(),
            func.sum(case((QualityResponse.csat >= CSAT_TOP, 1), else_=0)),
        )
        .where(
            in_scope(QualityResponse.unit_path, scope_path),
            QualityResponse.answered_at >= since,
            QualityResponse.answered_at < until,
            QualityResponse.csat.is_not(None),
        )
        .group_by(QualityResponse.outlet_id)
    ).all()
    pads = session.execute(
        select(
            Rating.outlet_id,
            func.count(),
            func.sum(case((Rating.score.in_(("very_satisfied", "satisfied")), 1), else_=0)),
        )
        .join(Unit, Unit.id == Rating.outlet_id)
        .where(
            in_scope(Unit.path, scope_path), Rating.answered_at >= since, Rating.answered_at < until
        )
        .group_by(Rating.outlet_id)
    ).all()
    for outlet, n, top in [*surveys, *pads]:
        sums = counts.setdefault(int(outlet), [0, 0])
        sums[0] += int(n)
        sums[1] += int(top or 0)
    return {outlet: Satisfaction(n, top) for outlet, (n, top) in counts.items()}


def low_satisfaction(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> set[int]:
    """The outlets in scope whose satisfaction was low in [since, until) (see the module)."""
    return {o for o, s in by_outlet(session, scope_path, since, until).items() if s.low}


def csat_answers(
    session: Session, outlet_ids: list[int] | None, since: dt.datetime, until: dt.datetime
) -> list[tuple[int, dt.datetime, int]]:
    """(outlet id, answered at, CSAT 1–5) of the answers in [since, until), surveys and
    imports, of these outlets (None: of every outlet), for the cockpit's daily roll-ups."""
    if outlet_ids is not None and not outlet_ids:
        return []
    chosen = [] if outlet_ids is None else [QualityResponse.outlet_id.in_(outlet_ids)]
    rows = session.execute(
        select(QualityResponse.outlet_id, QualityResponse.answered_at, QualityResponse.csat).where(
            *chosen,
            QualityResponse.answered_at >= since,
            QualityResponse.answered_at < until,
            QualityResponse.csat.is_not(None),
        )
    ).all()
    return [(int(o), at, int(csat or 0)) for o, at, csat in rows]


def latest_response_id(session: Session) -> int:
    return int(session.scalar(select(func.max(QualityResponse.id))) or 0)


def responses_after(
    session: Session, after: int, upto: int
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(outlet id, earliest, latest answer time) of the responses with ids in (after, upto]:
    the outlet-days new responses touched, imports of old dates included."""
    rows = session.execute(
        select(
            QualityResponse.outlet_id,
            func.min(QualityResponse.answered_at),
            func.max(QualityResponse.answered_at),
        )
        .where(QualityResponse.id > after, QualityResponse.id <= upto)
        .group_by(QualityResponse.outlet_id)
    ).all()
    return [(int(o), lo, hi) for o, lo, hi in rows]
