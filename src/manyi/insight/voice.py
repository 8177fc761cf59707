"""The customer's voice beside complaints, as figures the analysis reads.

- `handling_satisfaction`: the share of complainants satisfied with how their complaint was
  handled (回访: the survey quality sends when a case closes, CSAT 4–5 of those answered), for
  a data scope and a window; the response rate beside it.
- `opinion_counts`: opinions and suggestions (意见建议) received in a window by state.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.insight.tables import OpinionRow
from manyi.org.scope import in_scope
from manyi.quality import followups
from manyi.quality.followups import HandlingSatisfaction

__all__ = ["HandlingSatisfaction", "handling_satisfaction", "opinion_counts"]


def handling_satisfaction(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> HandlingSatisfaction:
    """回访 answers given in [since, until) about units in the scope: `answered`, `satisfied`,
    `share` (None without answers), `invited`, `response_rate`."""
    return followups.handling_satisfaction(session, scope_path, since, until)


def opinion_counts(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> dict[str, int]:
    """{state: opinions about units in the scope received in [since, until)}."""
    rows = session.execute(
        select(OpinionRow.state, func.count())
        .where(
            in_scope(OpinionRow.unit_path, scope_path),
            OpinionRow.received_at >= since,
            OpinionRow.received_at < until,
        )
        .group_by(OpinionRow.state)
    ).all()
    return {str(state): int(n) for state, n in rows}
