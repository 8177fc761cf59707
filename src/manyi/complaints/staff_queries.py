"""Reading people and units for the complaint pages: who can take a case (handlers in the
caller's scope, never someone recused), a unit's staff, names of staff and units by id, and the
active units a caller may pick.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints.access import Caller
from manyi.complaints.domain.model import ancestor_ids
from manyi.complaints.routing import recused
from manyi.complaints.tables import Complaint
from manyi.org.model import Role
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, StaffRole, Unit

_HANDLER_ROLES = [Role.COMPLAINT_HANDLER.value, Role.COMPLAINT_MANAGER.value]


def handlers_in_scope(session: Session, caller: Caller) -> list[Staff]:
    """Active complaint handlers and managers in the caller's scope (for bulk reassignment)."""
    return list(
        session.scalars(
            select(Staff)
            .join(Unit, Unit.id == Staff.unit_id)
            .where(
                Staff.active,
                in_scope(Unit.path, caller.scope_path),
                Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_(_HANDLER_ROLES))),
            )
            .order_by(Unit.path, Staff.display_name)
        ).unique()
    )


def eligible_handlers(session: Session, caller: Caller, complaint: Complaint) -> list[Staff]:
    """Who may take this case: handlers in its unit or above it, within the caller's scope,
    never a person named in it or who declared a conflict, nor its current handler."""
    barred = recused(session, complaint.id) | {complaint.handler_id or 0}
    chain = ancestor_ids(complaint.responsible_unit_path)
    return [
        s for s in handlers_in_scope(session, caller) if s.unit_id in chain and s.id not in barred
    ]


def staff_of_unit(session: Session, unit_id: int) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.unit_id == unit_id, Staff.active)
            .order_by(Staff.display_name, Staff.id)
        ).unique()
    )


def staff_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(wanted)))
    return {sid: name for sid, name in rows}


def unit_names(session: Session, ids: Sequence[int | None], lang: str) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.name(lang) for u in session.scalars(select(Unit).where(Unit.id.in_(wanted)))}


def active_units_in_scope(session: Session, caller: Caller) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.active, in_scope(Unit.path, caller.scope_path))
            .order_by(Unit.path)
        )
    )


def active_unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code.strip(), Unit.active))
