"""Reads of misconduct cases for pages, for the staff member concerned and for the stars part.

- `cases`: the cases list within the viewer's scope, with the deadline status computed now;
- `case_view`: one case with its sanctions, accountable parties and bulletins;
- `my_sanctions`: a staff member's own sanctions of finalised cases (no notes, no findings);
- `sanctions_removing_star`: the stars part's question: which sanctions in force during a
  period take the staff member off the service-star list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import case as sql_case
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import InvalidInput
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import CaseState, DeadlineStatus, Step
from manyi.supervision.misconduct import case_in_scope, local_today, working_days
from manyi.supervision.misconduct_tables import (
    MisconductBulletin,
    MisconductCase,
    MisconductParty,
    MisconductSanction,
)

LIST_LIMIT = 300


@dataclass(frozen=True)
class CaseRow:
    id: int
    state: str
    severity: rules.Severity
    staff_name: str
    unit_name: str
    happened_on: dt.date
    due_on: dt.date
    deadline: DeadlineStatus
    summary: str


def cases(
    session: Session,
    scope_path: str,
    now: dt.datetime,
    *,
    state: str = "",
    severity: str = "",
) -> list[CaseRow]:
    """The cases of staff in the viewer's scope, newest first, filtered by state and severity
    (an unknown filter value is refused, as the form offers only known ones)."""
    M = MisconductCase
    query = (
        select(M, Staff.display_name, Unit.name_zh)
        .join(Staff, Staff.id == M.staff_id)
        .join(Unit, Unit.id == M.unit_id)
        .where(in_scope(M.unit_path, scope_path))
    )
    if state:
        if state not in set(CaseState):
            raise InvalidInput("unknown state {state}", "state", state=state)
        query = query.where(M.state == state)
    if severity:
        query = query.where(M.severity == rules.severity_of(severity).code)
    today = local_today(now)
    calendar = working_days(session)
    return [
        CaseRow(
            id=case.id,
            state=case.state,
            severity=rules.severity_of(case.severity),
            staff_name=name,
            unit_name=unit,
            happened_on=case.happened_on,
            due_on=case.investigation_due_on,
            deadline=rules.deadline_status(case.state, case.investigation_due_on, today, calendar),
            summary=case.summary,
        )
        for case, name, unit in session.execute(query.order_by(M.id.desc()).limit(LIST_LIMIT))
    ]


@dataclass(frozen=True)
class CaseView:
    case: MisconductCase
    severity: rules.Severity
    staff_name: str
    staff_username: str
    unit_name: str
    unit_code: str
    opened_by: str
    investigator: str
    deadline: DeadlineStatus
    next_step: Step | None
    sanctions: list[rules.Sanction]
    parties: list[MisconductParty]
    bulletins: list[MisconductBulletin]


def case_view(session: Session, scope_path: str, case_id: int, now: dt.datetime) -> CaseView:
    """One case for a viewer whose scope holds it (NotFound otherwise)."""
    case = case_in_scope(session, scope_path, case_id)
    staff = session.get(Staff, case.staff_id)
    unit = session.get(Unit, case.unit_id)
    opener = session.get(Staff, case.opened_by_id) if case.opened_by_id else None
    investigator = session.get(Staff, case.investigator_id) if case.investigator_id else None
    codes = session.scalars(
        select(MisconductSanction.code)
        .where(MisconductSanction.case_id == case.id)
        .order_by(MisconductSanction.id)
    ).all()
    return CaseView(
        case=case,
        severity=rules.severity_of(case.severity),
        staff_name=staff.display_name if staff else "",
        staff_username=staff.username if staff else "",
        unit_name=unit.name_zh if unit else "",
        unit_code=unit.code if unit else "",
        opened_by=opener.display_name if opener else "",
        investigator=investigator.display_name if investigator else "",
        deadline=rules.deadline_status(
            case.state, case.investigation_due_on, local_today(now), working_days(session)
        ),
        next_step=rules.next_step(case.state),
        sanctions=[s for c in codes if (s := rules.sanction_of(c)) is not None],
        parties=list(
            session.scalars(
                select(MisconductParty)
                .where(MisconductParty.case_id == case.id)
                .order_by(MisconductParty.id)
            )
        ),
        bulletins=list(
            session.scalars(
                select(MisconductBulletin)
                .where(MisconductBulletin.case_id == case.id)
                .order_by(MisconductBulletin.id)
            )
        ),
    )


@dataclass(frozen=True)
class OwnSanction:
    """A sanction as the staff member concerned sees it: no notes, no findings."""

    case_id: int
    sanction: rules.Sanction
    severity: rules.Severity
    happened_on: dt.date
    summary: str
    decision_note: str
    effective_on: dt.date | None


def my_sanctions(session: Session, staff_id: int) -> list[OwnSanction]:
    """The staff member's own sanctions of finalised cases, newest first."""
    M, S = MisconductCase, MisconductSanction
    rows = session.execute(
        select(S, M)
        .join(M, M.id == S.case_id)
        .where(S.staff_id == staff_id, M.state == CaseState.FINALISED.value)
        .order_by(M.id.desc(), S.id)
    )
    found = []
    for sanction, case in rows:
        item = rules.sanction_of(sanction.code)
        if item is None:
            continue
        found.append(
            OwnSanction(
                case_id=case.id,
                sanction=item,
                severity=rules.severity_of(case.severity),
                happened_on=case.happened_on,
                summary=case.summary,
                decision_note=case.decision_note,
                effective_on=sanction.effective_on,
            )
        )
    return found


class Period(Protocol):
    """A period of the stars part (a quarter or a year): its first and last day."""

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


@dataclass(frozen=True)
class StarRemoval:
    case_id: int
    code: str
    effective_on: dt.date


def sanctions_removing_star(session: Session, staff_id: int, period: Period) -> list[StarRemoval]:
    """Sanctions that take the staff member off the service-star list and took effect on or
    before the period's last day (a removal holds from then on; the stars part decides whether
    an earlier one still bars a later period). Only finalised cases count."""
    M, S = MisconductCase, MisconductSanction
    rows = session.execute(
        select(S.case_id, S.code, S.effective_on)
        .join(M, M.id == S.case_id)
        .where(
            S.staff_id == staff_id,
            S.removes_star.is_(True),
            M.state == CaseState.FINALISED.value,
            S.effective_on.is_not(None),
            S.effective_on <= period.end,
        )
        .order_by(S.effective_on)
    )
    return [
        StarRemoval(case_id, code, effective_on)
        for case_id, code, effective_on in rows
        if effective_on is not None
    ]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def staff_choices(
    session: Session, scope_path: str, limit: int = 1000, *, first_unit_id: int | None = None
) -> list[Choice]:
    """Active staff in the viewer's scope, for the form's staff list (id, "name · unit"); the
    staff of `first_unit_id` (the outlet a finding came from) first."""
    rows = session.execute(
        select(Staff.id, Staff.display_name, Staff.username, Unit.name_zh)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(in_scope(Unit.path, scope_path), Staff.active.is_(True))
        .order_by(sql_case((Unit.id == (first_unit_id or 0), 0), else_=1), Unit.path)
        .order_by(Staff.display_name)
        .limit(limit)
    )
    return [Choice(str(i), f"{name} ({user}) · {unit}") for i, name, user, unit in rows]


def unit_choices(session: Session, scope_path: str) -> list[Choice]:
    """Units in the viewer's scope, for a bulletin's recipients (code, name)."""
    rows = session.execute(
        select(Unit.code, Unit.name_zh, Unit.path)
        .where(in_scope(Unit.path, scope_path), Unit.active.is_(True))
        .order_by(Unit.path)
    )
    return [Choice(code, name) for code, name, _path in rows]
