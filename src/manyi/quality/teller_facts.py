"""Per-teller satisfaction for other features to read (service stars in supervision): the rating
pad's answers and the surveys' CSAT answers about each teller of a subtree in a local date
range, as counts (answers, of which satisfied). The same sums the satisfaction page shows
(`breakdown.grouped` by teller), so a star's figure and the page's agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.quality import breakdown


@dataclass(frozen=True)
class TellerSatisfaction:
    pad_n: int = 0  # rating pad answers
    pad_top2: int = 0  # of which 满意 or 非常满意
    survey_n: int = 0  # survey CSAT answers (1–5)
    survey_top2: int = 0  # of which 4 or 5


def by_teller(
    session: Session, *, scope_path: str, tz: str, start: dt.date, end: dt.date
) -> dict[int, TellerSatisfaction]:
    """{teller staff id: their pad and survey counts} in the subtree, `start`..`end` inclusive
    (local dates of the zone `tz`). Answers about no teller are left out."""
    pad, surveys = (
        breakdown.grouped(
            session,
            source,
            breakdown.Key.TELLER,
            tz=tz,
            scope_path=scope_path,
            start=start,
            end=end,
        )
        for source in (breakdown.Source.PAD, breakdown.Source.SURVEYS)
    )
    result: dict[int, TellerSatisfaction] = {}
    for teller in (set(pad) | set(surveys)) - {None}:
        p, s = pad.get(teller), surveys.get(teller)
        result[int(teller)] = TellerSatisfaction(
            pad_n=p.csat_n if p else 0,
            pad_top2=p.csat_top2 if p else 0,
            survey_n=s.csat_n if s else 0,
            survey_top2=s.csat_top2 if s else 0,
        )
    return result
