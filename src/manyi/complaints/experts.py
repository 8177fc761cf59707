"""The expert roster and consultations: hard cases get an opinion from across the bank."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints.access import Caller, audit_setting, get_visible
from manyi.complaints.domain.model import Action, State, next_state
from manyi.complaints.handling import load
from manyi.complaints.notices import tell
from manyi.complaints.tables import Complaint, ComplaintConsultation, ComplaintExpert
from manyi.complaints.timeline import record
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org.model import Permission, Role, path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, StaffRole, Unit

LEVELS = ("senior", "chief")


def roster(
    session: Session, business_code: str | None = None
) -> list[tuple[ComplaintExpert, Staff]]:
    """Active experts, those for the business type (or its parent) first."""
    rows = session.execute(
        select(ComplaintExpert, Staff)
        .join(Staff, Staff.id == ComplaintExpert.staff_id)
        .where(ComplaintExpert.active, Staff.active)
        .order_by(Staff.display_name)
    ).all()
    top = (business_code or "").split(".")[0]

    def fits(expert: ComplaintExpert) -> bool:
        return bool(top) and any(code.split(".")[0] == top for code in expert.business_codes)

    experts = [(e, s) for e, s in rows]
    return sorted(experts, key=lambda pair: (not fits(pair[0]), pair[0].level != "chief"))


def roster_in_scope(session: Session, scope_path: str) -> list[tuple[ComplaintExpert, Staff, Unit]]:
    """Every roster entry (active or not) of staff in the scope, active ones first, by name."""
    rows = session.execute(
        select(ComplaintExpert, Staff, Unit)
        .join(Staff, Staff.id == ComplaintExpert.staff_id)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(in_scope(Unit.path, scope_path))
        .order_by(ComplaintExpert.active.desc(), Staff.display_name)
    ).all()
    return [(expert, staff, unit) for expert, staff, unit in rows]


def candidates_in_scope(session: Session, scope_path: str) -> list[Staff]:
    """Active staff in the scope who hold the expert role, by name (who may join the roster)."""
    return list(
        session.scalars(
            select(Staff)
            .join(Unit, Unit.id == Staff.unit_id)
            .where(
                in_scope(Unit.path, scope_path),
                Staff.active,
                Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role == Role.EXPERT.value)),
            )
            .order_by(Staff.display_name)
        ).unique()
    )


def roster_entry(session: Session, staff_id: int, scope_path: str) -> ComplaintExpert | None:
    """The roster entry of one staff member in the scope, if they are on it."""
    if staff_in_scope(session, scope_path, staff_id) is None:
        return None  # outside the scope it does not exist
    return session.get(ComplaintExpert, staff_id)


def staff_in_scope(session: Session, scope_path: str, staff_id: int) -> Staff | None:
    """The staff member, if they exist and work in the scope."""
    person = session.get(Staff, staff_id)
    if person is None or not path_in_scope(scope_path, person.unit.path):
        return None
    return person


def set_expert(
    session: Session,
    caller: Caller,
    staff_id: int,
    *,
    business_codes: list[str],
    level: str,
    note: str = "",
    active: bool = True,
) -> ComplaintExpert:
    caller.need(Permission.COMPLAINTS_EXPERTS)
    staff = session.get(Staff, staff_id)
    if staff is None or Role.EXPERT not in staff.roles:
        raise InvalidInput("{id} does not hold the expert role", "staff_id", id=staff_id)
    if level not in LEVELS:
        raise InvalidInput("the level is senior or chief", "level")
    from manyi.complaints.categories import check_code
    from manyi.complaints.domain.taxonomy import Axis

    codes = [
        c
        for c in (
            check_code(session, Axis.BUSINESS, code, "business_codes") for code in business_codes
        )
        if c
    ]
    expert = session.get(ComplaintExpert, staff_id)
    if expert is None:
        expert = ComplaintExpert(staff_id=staff_id)
        session.add(expert)
    expert.business_codes = codes
    expert.level = level
    expert.note = note.strip()[:200]
    expert.active = active
    session.flush()
    audit_setting(
        session,
        caller,
        "complaint_expert",
        str(staff_id),
        "complaint.expert.set",
        level=expert.level,
        active=expert.active,
    )
    return expert


def consult(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    expert_id: int,
    question: str,
) -> ComplaintConsultation:
    complaint = load(session, caller, complaint_id, Action.CONSULT)
    expert = session.get(ComplaintExpert, expert_id)
    if expert is None or not expert.active:
        raise InvalidInput("{id} is not on the expert roster", "expert_id", id=expert_id)
    question = question.strip()
    if not question:
        raise InvalidInput("this field is required", "question")
    if len(question) > 5000:
        raise InvalidInput("at most {max} characters", "question", max=5000)
    consultation = ComplaintConsultation(
        complaint_id=complaint.id,
        expert_id=expert_id,
        requested_by_id=caller.staff_id,
        question=question,
        requested_at=now,
    )
    session.add(consultation)
    session.flush()
    record(
        session,
        complaint,
        caller,
        Action.CONSULT,
        now,
        from_state=complaint.state,
        note=question,
        data={"expert_id": expert_id, "consultation_id": consultation.id},
    )
    tell(
        session,
        complaint,
        [expert_id],
        "Your opinion is asked on complaint {reference}",
        now,
        body=question[:500],
        created_by_id=caller.staff_id,
    )
    return consultation


def give_opinion(
    session: Session, caller: Caller, consultation_id: int, now: dt.datetime, *, opinion: str
) -> ComplaintConsultation:
    consultation = session.get(ComplaintConsultation, consultation_id)
    if consultation is None:
        raise NotFound("there is no consultation {id}", id=consultation_id)
    if caller.staff_id != consultation.expert_id or not caller.can(Permission.COMPLAINTS_CONSULT):
        raise Forbidden("only the expert who was asked can answer")
    if consultation.answered_at is not None:
        raise Conflict("this consultation was already answered", "opinion")
    complaint = get_visible(session, caller, consultation.complaint_id, lock=True)
    next_state(State(complaint.state), Action.OPINION)
    opinion = opinion.strip()
    if not opinion:
        raise InvalidInput("this field is required", "opinion")
    if len(opinion) > 5000:
        raise InvalidInput("at most {max} characters", "opinion", max=5000)
    consultation.opinion = opinion
    consultation.answered_at = now
    record(
        session,
        complaint,
        caller,
        Action.OPINION,
        now,
        from_state=complaint.state,
        note=opinion,
        data={"consultation_id": consultation.id},
    )
    return consultation


def open_for(session: Session, expert_id: int) -> list[ComplaintConsultation]:
    return list(
        session.scalars(
            select(ComplaintConsultation)
            .where(
                ComplaintConsultation.expert_id == expert_id,
                ComplaintConsultation.answered_at.is_(None),
            )
            .order_by(ComplaintConsultation.requested_at)
        )
    )


def answered_by(session: Session, expert_id: int, *, limit: int) -> list[ComplaintConsultation]:
    """The expert's answered consultations, the latest answer first."""
    return list(
        session.scalars(
            select(ComplaintConsultation)
            .where(
                ComplaintConsultation.expert_id == expert_id,
                ComplaintConsultation.answered_at.is_not(None),
            )
            .order_by(ComplaintConsultation.answered_at.desc())
            .limit(limit)
        )
    )


def cases_asked(
    session: Session, consultations: Sequence[ComplaintConsultation]
) -> dict[int, Complaint]:
    """The cases these consultations ask about, by id. The expert asked sees them whatever
    their own scope: the consultation is their reason to."""
    ids = {c.complaint_id for c in consultations}
    return {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_(ids)))}
