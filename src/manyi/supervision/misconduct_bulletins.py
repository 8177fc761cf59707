"""Bulletins (通报) from finalised misconduct cases, to every staff member of a chosen unit's
subtree, through the in-app inbox (`manyi.notify`).

The text is composed from the case (severity, what happened, the sanctions, who answers for
it) with the names masked (张*) unless the issuer chooses to show them, and is edited before it
is issued. With names masked, any full name of the staff member or of an accountable party
left in the edited text is masked again on issue, so an edit cannot undo the choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi import audit, notify
from manyi.errors import Conflict, NotFound
from manyi.org.model import path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision.domain import bulletins
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import CaseState
from manyi.supervision.misconduct import case_in_scope
from manyi.supervision.misconduct_tables import (
    MisconductBulletin,
    MisconductCase,
    MisconductParty,
    MisconductSanction,
)


def _facts(session: Session, case: MisconductCase) -> bulletins.BulletinFacts:
    staff = session.get(Staff, case.staff_id)
    unit = session.get(Unit, case.unit_id)
    codes = session.scalars(
        select(MisconductSanction.code).where(MisconductSanction.case_id == case.id)
    ).all()
    parties = session.scalars(
        select(MisconductParty)
        .where(MisconductParty.case_id == case.id)
        .order_by(MisconductParty.id)
    ).all()
    return bulletins.BulletinFacts(
        case_id=case.id,
        severity=rules.severity_of(case.severity),
        unit_name=unit.name_zh if unit else "",
        staff_name=staff.display_name if staff else "",
        happened_on=case.happened_on,
        summary=case.summary,
        sanctions=tuple(s for c in codes if (s := rules.sanction_of(c)) is not None),
        parties=tuple(
            rules.Party(rules.Accountable(p.role), p.staff_id, p.name, p.unit_id, p.unit_name)
            for p in parties
        ),
    )


def _finalised(session: Session, scope_path: str, case_id: int) -> MisconductCase:
    case = case_in_scope(session, scope_path, case_id)
    if case.state != CaseState.FINALISED:
        raise Conflict(
            "a bulletin is issued from a finalised case only", "case", error_code="not_finalised"
        )
    return case


def draft(
    session: Session, scope_path: str, case_id: int, *, show_names: bool = False
) -> tuple[str, str]:
    """The composed title and text of a bulletin on the case, for the issuer to edit."""
    case = _finalised(session, scope_path, case_id)
    return bulletins.compose_bulletin(_facts(session, case), show_names=show_names)


def _masked(text: str, facts: bulletins.BulletinFacts) -> str:
    for name in {facts.staff_name, *(p.name for p in facts.parties)}:
        if name and len(name) > 1:
            text = text.replace(name, bulletins.mask_name(name))
    return text


def issue(
    session: Session,
    actor: audit.Actor,
    case_id: int,
    *,
    scope_unit_code: str,
    title: str,
    body: str,
    show_names: bool,
    now: dt.datetime,
) -> int:
    """Issue the bulletin to every active staff member of the unit's subtree (in the actor's
    scope); returns its id."""
    case = _finalised(session, actor.unit_path, case_id)
    title, body = bulletins.check_bulletin(title, body)
    unit = session.scalar(select(Unit).where(Unit.code == (scope_unit_code or "").strip()))
    if unit is None or not path_in_scope(actor.unit_path, unit.path):
        raise NotFound("no unit {code} in your scope", "scope_unit", code=scope_unit_code)
    if not show_names:
        facts = _facts(session, case)
        title, body = _masked(title, facts), _masked(body, facts)
    recipients = session.scalars(
        select(Staff.id)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(in_scope(Unit.path, unit.path), Staff.active.is_(True))
        .order_by(Staff.id)
    ).all()
    bulletin = MisconductBulletin(
        case_id=case.id,
        scope_unit_id=unit.id,
        scope_path=unit.path,
        title=title,
        body=body,
        names_shown=show_names,
        recipients=len(recipients),
        issued_at=now,
        issued_by_id=actor.id,
    )
    session.add(bulletin)
    session.flush()
    for staff_id in recipients:
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=title,
            body=body,
            now=now,
            unit_id=unit.id,
            data={"kind": "misconduct.bulletin", "bulletin": bulletin.id},
            created_by_id=actor.id,
            dedupe_key=f"misconduct.bulletin:{bulletin.id}:{staff_id}",
        )
    audit.record(
        session,
        actor,
        entity_type="misconduct_bulletin",
        entity_id=bulletin.id,
        action="misconduct.bulletin",
        summary={
            "case": case.id,
            "scope": unit.code,
            "recipients": len(recipients),
            "names_shown": show_names,
            "title": title,
        },
        unit_id=unit.id,
        unit_path=unit.path,
        now=now,
    )
    return bulletin.id


@dataclass(frozen=True)
class BulletinRow:
    id: int
    case_id: int
    title: str
    body: str
    scope_code: str
    scope_name: str
    names_shown: bool
    recipients: int
    issued_at: dt.datetime
    issued_by: str


def bulletins_in_scope(session: Session, scope_path: str, limit: int = 200) -> list[BulletinRow]:
    """Bulletins issued to a unit in the viewer's scope or about a case in it, newest first."""
    B, C = MisconductBulletin, MisconductCase
    rows = session.execute(
        select(B, Unit.code, Unit.name_zh, Staff.display_name)
        .join(C, C.id == B.case_id)
        .join(Unit, Unit.id == B.scope_unit_id)
        .outerjoin(Staff, Staff.id == B.issued_by_id)
        .where(or_(in_scope(B.scope_path, scope_path), in_scope(C.unit_path, scope_path)))
        .order_by(B.id.desc())
        .limit(limit)
    )
    return [
        BulletinRow(
            id=b.id,
            case_id=b.case_id,
            title=b.title,
            body=b.body,
            scope_code=code,
            scope_name=name,
            names_shown=b.names_shown,
            recipients=b.recipients,
            issued_at=b.issued_at,
            issued_by=issuer or "",
        )
        for b, code, name, issuer in rows
    ]
