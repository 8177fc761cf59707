"""Complaint-handling satisfaction (回访) as other features read it (listed in PUBLIC).

When a complaint closes, the `survey-invitations` job invites the complainant to the
`complaint` survey (visit key `c:<complaint id>`, see `survey_scan`); the answer is a
`quality_responses` row (`source='survey'`, `external_id` = the invitation's id) plus the
choice answers kept on the invitation (`resolved`: yes, partly, no).

- `complaint_follow_up`: one complaint's invitation and answer, for its case page (the
  application hands it to complaints' `FollowUpPort`; complaints and quality are independent).
- `handling_satisfaction`: answered 回访 within a data scope and a window, and how many were
  satisfied (CSAT 4–5) and said their problem was solved, for complaint intelligence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from manyi.org.scope import in_scope
from manyi.quality.domain.measures import CSAT_TOP
from manyi.quality.survey_tables import SurveyInvitation
from manyi.quality.tables import QualityResponse


@dataclass(frozen=True, slots=True)
class ComplaintFollowUp:
    state: str  # invited, answered, expired
    invited_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None = None
    csat: int | None = None
    resolved: str | None = None
    comment: str | None = None


def complaint_follow_up(
    session: Session, complaint_id: int, now: dt.datetime
) -> ComplaintFollowUp | None:
    """The 回访 survey of one complaint, or None when none was sent."""
    invitation = session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.visit_key == f"c:{complaint_id}")
    )
    if invitation is None:
        return None
    if invitation.answered_at is None:
        state = "expired" if invitation.expires_at <= now else "invited"
        return ComplaintFollowUp(state, invitation.created_at, invitation.expires_at)
    response = session.scalar(
        select(QualityResponse).where(
            QualityResponse.source == "survey",
            QualityResponse.external_id == str(invitation.id),
        )
    )
    answers = invitation.answers or {}
    resolved = answers.get("resolved")
    return ComplaintFollowUp(
        "answered",
        invitation.created_at,
        invitation.expires_at,
        invitation.answered_at,
        response.csat if response is not None else None,
        resolved if isinstance(resolved, str) else None,
        response.comment if response is not None else None,
    )


@dataclass(frozen=True, slots=True)
class HandlingSatisfaction:
    answered: int  # 回访 answered with a CSAT
    satisfied: int  # of them, CSAT 4 or 5
    invited: int  # 回访 sent in the window (answered or not)

    @property
    def share(self) -> float | None:
        """The share satisfied with the handling, None without answers."""
        return self.satisfied / self.answered if self.answered else None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


def handling_satisfaction(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime
) -> HandlingSatisfaction:
    """Complaint 回访 of the units in the scope: answers given in [since, until) and
    invitations sent in it (the responsible unit's path, as the survey recorded it)."""
    R = QualityResponse
    answered, satisfied = session.execute(
        select(
            func.count(R.csat),
            func.coalesce(func.sum(case((R.csat >= CSAT_TOP, 1), else_=0)), 0),
        ).where(
            R.source == "survey",
            R.trigger == "complaint",
            in_scope(R.unit_path, scope_path),
            R.answered_at >= since,
            R.answered_at < until,
        )
    ).one()
    invited = session.scalar(
        select(func.count()).where(
            SurveyInvitation.trigger == "complaint",
            in_scope(SurveyInvitation.unit_path, scope_path),
            SurveyInvitation.created_at >= since,
            SurveyInvitation.created_at < until,
        )
    )
    return HandlingSatisfaction(int(answered or 0), int(satisfied or 0), int(invited or 0))
