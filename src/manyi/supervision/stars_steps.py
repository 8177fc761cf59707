"""A star's way from nomination to award: the outlet nominates one of its tellers, a branch above
the outlet approves (the first step), head office approves (the second step, which awards the
star). Either approver may reject, with a reason; a rejection is final for the period. Each step
is recorded in the audit chain.

Who may act:
- nominate: `supervision.stars.nominate` held at the teller's own outlet;
- branch step: `supervision.stars.approve` at a tier-1 or tier-2 branch whose subtree holds the
  outlet; head-office step: the same permission at head office. Head office cannot act before
  the branch (the step takes a nomination in the state the previous step left);
- four eyes: nobody approves a nomination they made or already approved, nor their own.

The quota is per tier-1 branch: the branch step is refused once as many nominations of that
branch are approved or awarded as its quota allows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit, notify
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound, Term
from manyi.org.model import UnitLevel, path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision import stars, stars_facts, stars_notices
from manyi.supervision.domain import stars as rules
from manyi.supervision.stars_tables import StarNomination

NOTE_MAX = 500
# The teller's inbox message (an English message id, its parameters in the message's data).
AWARDED_SUBJECT = "You are a service star of {code}: {level}"
S = rules.NominationState


def branch_code_of(session: Session, outlet: Unit) -> str:
    """The code of the tier-1 branch above the outlet (the quota's key)."""
    ids = [int(p) for p in outlet.path.strip("/").split("/") if p]
    for unit_id in ids:
        unit = session.get(Unit, unit_id)
        if unit is not None and unit.level == UnitLevel.TIER1_BRANCH.value:
            return unit.code
    return outlet.code


def nominate(
    session: Session,
    actor: audit.Actor,
    *,
    level: str,
    programme_id: int,
    staff_id: int,
    note: str,
    now: dt.datetime,
) -> StarNomination:
    if level != UnitLevel.OUTLET.value or actor.unit_id is None:
        raise Forbidden("a teller's own outlet nominates them", "unit", error_code="outlet_only")
    row = stars.programme_row(session, programme_id)
    programme = stars.programme_of(row)
    staff = session.get(Staff, staff_id)
    if staff is None or staff.unit_id != actor.unit_id or not staff.active:
        raise NotFound("no teller {id} at your outlet", "staff", id=staff_id)
    if staff.id == actor.id:
        raise Forbidden("nobody nominates themselves", "staff")
    # The outlet's own day decides whether the programme takes nominations.
    today = now.astimezone(zoneinfo.ZoneInfo(staff.unit.timezone)).date()
    today = now.astimezone(dt.UTC).date()
    if not programme.starts_on <= today <= programme.valid_until:
        raise InvalidInput(
            "programme {code} takes nominations from {start} to {end}",
            "programme",
            code=row.code,
            start=str(programme.starts_on),
            end=str(programme.valid_until),
        )
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("the note is longer than {max} characters", "note", max=NOTE_MAX)
    taken = session.scalar(
        select(StarNomination.state).where(
            StarNomination.programme_id == row.id, StarNomination.staff_id == staff.id
        )
    )
    if taken is not None:
        raise Conflict(
            "{name} is already nominated in {code} ({state})",
            "staff",
            name=staff.display_name,
            code=row.code,
            state=Term(f"star:{taken}"),
        )
    facts = stars_facts.teller_facts_for(session, programme, staff)
    # Praise is what the complaint desk registered for the teller in the period; the
    # nomination keeps the count it was scored with (`praise`), as it keeps the explanation.
    assessment = rules.assess(programme, facts)
    praise = facts.praise
    if not assessment.eligible:
        raise InvalidInput(
            "{name} is not eligible: {reasons}",
            "staff",
            error_code="ineligible",
            name=staff.display_name,
            reasons=", ".join(rules.reason_texts(assessment.reasons)[1]),
        )
    if assessment.level is None:
        raise InvalidInput(
            "{name} scores {score}, below the lowest level",
            "staff",
            error_code="below_levels",
            name=staff.display_name,
            score=assessment.total,
        )
    outlet = staff.unit
    nomination = StarNomination(
        programme_id=row.id,
        staff_id=staff.id,
        outlet_id=outlet.id,
        unit_path=outlet.path,
        branch_code=branch_code_of(session, outlet),
        state=S.NOMINATED.value,
        level_code=assessment.level.code,
        score=assessment.total,
        praise=praise,
        explanation=assessment.explanation(),
        note=note,
        nominated_by_id=actor.id,
        nominated_at=now,
        rejection_reason="",
    )
    session.add(nomination)
    session.flush()
    _record(
        session,
        actor,
        nomination,
        "supervision.star_nominated",
        now,
        score=nomination.score,
        level=nomination.level_code,
        praise=praise,
    )
    stars_notices.tell_approvers(
        session,
        nomination,
        stars_notices.BRANCH_STEP,
        programme_code=row.code,
        programme_name=row.name_zh,
        now=now,
        actor_id=actor.id,
    )
    return nomination


def _load(session: Session, actor: audit.Actor, nomination_id: int) -> StarNomination:
    row = session.get(StarNomination, nomination_id, with_for_update=True)
    if row is None or not path_in_scope(actor.unit_path, row.unit_path):
        raise NotFound("no nomination {id} in your scope", "nomination", id=nomination_id)
    return row


def _step_of(level: str) -> str:
    if level in (UnitLevel.TIER1_BRANCH.value, UnitLevel.TIER2_BRANCH.value):
        return "branch"
    if level == UnitLevel.HEAD_OFFICE.value:
        return "head office"
    raise Forbidden(
        "branches and head office approve stars; outlets nominate",
        "unit",
        error_code="approver_level",
    )


def approve(
    session: Session, actor: audit.Actor, *, level: str, nomination_id: int, now: dt.datetime
) -> StarNomination:
    step = _step_of(level)
    row = _load(session, actor, nomination_id)
    rules.check_step(S(row.state), step)
    if actor.id in (row.nominated_by_id, row.branch_by_id, row.staff_id):
        raise Forbidden(
            "a second person approves: you nominated or approved this one already",
            "nomination",
            error_code="four_eyes",
        )
    programme_row = stars.programme_row(session, row.programme_id)
    programme = stars.programme_of(programme_row)
    counted = [S.BRANCH_APPROVED.value, S.AWARDED.value] if step == "branch" else [S.AWARDED.value]
    taken = session.scalar(
        select(func.count()).where(
            StarNomination.programme_id == row.programme_id,
            StarNomination.branch_code == row.branch_code,
            StarNomination.state.in_(counted),
        )
    )
    rules.check_quota(programme, row.branch_code, int(taken or 0))
    if step == "branch":
        row.state = S.BRANCH_APPROVED.value
        row.branch_by_id = actor.id
        row.branch_at = now
        action = "supervision.star_branch_approved"
        stars_notices.tell_approvers(
            session,
            row,
            stars_notices.HEAD_OFFICE_STEP,
            programme_code=programme_row.code,
            programme_name=programme_row.name_zh,
            now=now,
            actor_id=actor.id,
        )
    else:
        row.state = S.AWARDED.value
        row.awarded_by_id = actor.id
        row.awarded_at = now
        row.valid_until = programme.valid_until
        action = "supervision.star_awarded"
        level_row = programme.level(row.level_code)
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=row.staff_id,
            subject=AWARDED_SUBJECT,
            body=programme_row.name_zh,
            now=now,
            unit_id=row.outlet_id,
            data={
                "subject_params": {
                    "level": level_row.name_zh if level_row else row.level_code,
                    "code": programme_row.code,
                },
                "url": "/lobby/console",
            },
            created_by_id=actor.id,
            dedupe_key=f"star-awarded:{row.id}",
        )
    session.flush()
    _record(session, actor, row, action, now, level=row.level_code)
    return row


def reject(
    session: Session,
    actor: audit.Actor,
    *,
    level: str,
    nomination_id: int,
    reason: str,
    now: dt.datetime,
) -> StarNomination:
    step = _step_of(level)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give the reason for the rejection", "reason")
    if len(reason) > NOTE_MAX:
        raise InvalidInput("the reason is longer than {max} characters", "reason", max=NOTE_MAX)
    row = _load(session, actor, nomination_id)
    rules.check_step(S(row.state), step)
    row.state = S.REJECTED.value
    row.rejected_by_id = actor.id
    row.rejected_at = now
    row.rejected_step = "branch" if step == "branch" else "ho"
    row.rejection_reason = reason
    session.flush()
    _record(
        session, actor, row, "supervision.star_rejected", now, step=row.rejected_step, reason=reason
    )
    return row


def _record(
    session: Session,
    actor: audit.Actor,
    row: StarNomination,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        actor,
        entity_type="star_nomination",
        entity_id=row.id,
        action=action,
        summary={"programme_id": row.programme_id, "staff_id": row.staff_id, **summary},
        unit_id=row.outlet_id,
        unit_path=row.unit_path,
        now=now,
    )
