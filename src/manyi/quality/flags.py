"""The inspector's list of suspicious patterns (`domain.flags`), computed on demand over a
period and a data scope: rating-pad answers (the lobby's public tables), answered survey
invitations and survey responses. Nothing is stored: the list is always today's reading."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby.tables import Rating, RatingPrompt
from manyi.org.tables import Staff, Unit
from manyi.quality.domain import flags as rules
from manyi.quality.survey_tables import SurveyInvitation
from manyi.quality.tables import QualityResponse

PAD_TOP2 = ("very_satisfied", "satisfied")


def _local(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    return at.astimezone(zone).date()


def flags(
    session: Session, scope_path: str, since: dt.datetime, until: dt.datetime, tz: str
) -> list[rules.Flag]:
    zone = ZoneInfo(tz)
    pads = session.execute(
        select(Staff.username, Rating.score, Rating.answered_at, RatingPrompt.prompted_at)
        .join(RatingPrompt, RatingPrompt.id == Rating.prompt_id)
        .join(Unit, Unit.id == Rating.outlet_id)
        .join(Staff, Staff.id == Rating.teller_id)
        .where(
            Unit.path.startswith(scope_path),
            Rating.answered_at >= since,
            Rating.answered_at <= until,
        )
    ).all()
    answers = [
        rules.PadAnswer(
            r.username,
            _local(r.answered_at, zone),
            r.score == "very_satisfied",
            (r.answered_at - r.prompted_at).total_seconds(),
        )
        for r in pads
    ]
    found = rules.fast_top_bursts(answers)

    clients = session.execute(
        select(SurveyInvitation.client_hash, SurveyInvitation.answered_at).where(
            SurveyInvitation.unit_path.startswith(scope_path),
            SurveyInvitation.answered_at >= since,
            SurveyInvitation.answered_at <= until,
            SurveyInvitation.client_hash.is_not(None),
        )
    ).all()
    found += rules.busy_clients((c, _local(at, zone)) for c, at in clients if c and at)

    # The pad's top two (very satisfied, satisfied) against the surveys' CSAT 4–5, by teller.
    by_teller: dict[str, list[int]] = {}
    for r in pads:
        tally = by_teller.setdefault(r.username, [0, 0, 0, 0])
        tally[0] += r.score in PAD_TOP2
        tally[1] += 1
    surveyed = session.execute(
        select(Staff.username, QualityResponse.csat)
        .join(Staff, Staff.id == QualityResponse.teller_staff_id)
        .where(
            QualityResponse.source == "survey",
            QualityResponse.unit_path.startswith(scope_path),
            QualityResponse.answered_at >= since,
            QualityResponse.answered_at <= until,
            QualityResponse.csat.is_not(None),
        )
    ).all()
    for username, csat in surveyed:
        tally = by_teller.setdefault(username, [0, 0, 0, 0])
        tally[2] += (csat or 0) >= 4
        tally[3] += 1
    found += rules.pad_vs_survey(
        {t: ((v[0], v[1]), (v[2], v[3])) for t, v in by_teller.items() if v[1] and v[3]}
    )
    return found
