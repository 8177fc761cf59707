"""Who is acting on complaints, and what they may see.

Services take a `Caller` rather than the web's Principal, so the command line
and the worker act through the same rules. A caller sees the complaints whose
responsible unit lies in their scope (their unit's subtree); experts also see
the cases they were asked about. Anything else is reported as not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints.tables import Complaint, ComplaintConsultation
from manyi.db import utcnow
from manyi.errors import Forbidden, NotFound
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings, path_in_scope
from manyi.org.tables import Staff
from manyi.personal import mask_id, mask_name, mask_phone


@dataclass(frozen=True)
class Caller:
    staff_id: int | None
    name: str
    unit_id: int | None
    scope_path: str
    permissions: frozenset[Permission]
    unit_level: UnitLevel

    @classmethod
    def of(cls, staff: Staff) -> Caller:
        return cls(
            staff_id=staff.id,
            name=staff.username,
            unit_id=staff.unit_id,
            scope_path=staff.unit.path,
            permissions=staff.permissions,
            unit_level=staff.unit.unit_level,
        )

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(
            id=self.staff_id, name=self.name, unit_id=self.unit_id, unit_path=self.scope_path
        )

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def need(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden("you may not do this with complaints", error_code="forbidden")

    def need_bank_wide(self) -> None:
        """May change the bank-wide settings: categories and deadline policies."""
        self.need(Permission.COMPLAINTS_CONFIGURE)
        check_bank_wide_settings(self.unit_level)


# The command line and the worker act bank-wide with every complaint permission.
def audit_setting(
    session: Session,
    caller: Caller,
    entity_type: str,
    entity_id: str,
    action: str,
    **summary: object,
) -> None:
    """Record a change to the complaint settings (categories, policies, the roster) on the
    audit chain, as the caller, in their unit of work."""
    audit.record(
        session,
        caller.actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        summary=dict(summary),
        unit_id=caller.unit_id,
        unit_path=caller.scope_path,
        now=utcnow(),
    )


# The command line and the worker act bank-wide with every complaint permission.
def system_caller(name: str) -> Caller:
    return Caller(
        staff_id=None,
        name=name,
        unit_id=None,
        scope_path="/",
        permissions=frozenset(p for p in Permission if p.value.startswith("complaints.")),
        unit_level=UnitLevel.HEAD_OFFICE,
    )


def can_see(session: Session, caller: Caller, complaint: Complaint) -> bool:
    if path_in_scope(caller.scope_path, complaint.responsible_unit_path):
        return True
    if caller.staff_id is None or not caller.can(Permission.COMPLAINTS_CONSULT):
        return False
    asked = session.scalar(
        select(ComplaintConsultation.id).where(
            ComplaintConsultation.complaint_id == complaint.id,
            ComplaintConsultation.expert_id == caller.staff_id,
        )
    )
    return asked is not None


def get_visible(
    session: Session, caller: Caller, complaint_id: int, *, lock: bool = False
) -> Complaint:
    """The complaint, or NotFound when it does not exist or lies outside the caller's view."""
    if not (caller.can(Permission.COMPLAINTS_VIEW) or caller.can(Permission.COMPLAINTS_CONSULT)):
        raise Forbidden("you may not do this with complaints", error_code="forbidden")
    statement = select(Complaint).where(Complaint.id == complaint_id)
    if lock:
        statement = statement.with_for_update()
    complaint = session.scalar(statement)
    if complaint is None or not can_see(session, caller, complaint):
        raise NotFound("there is no complaint {id}", id=complaint_id)
    return complaint


@dataclass(frozen=True)
class Complainant:
    """The complainant's details as this caller may see them."""

    name: str
    phone: str
    id_number: str
    email: str
    address: str
    masked: bool


def complainant(caller: Caller, complaint: Complaint) -> Complainant:
    if caller.can(Permission.COMPLAINTS_PERSONAL):
        return Complainant(
            name=complaint.complainant_name,
            phone=complaint.complainant_phone,
            id_number=complaint.complainant_id_number,
            email=complaint.complainant_email,
            address=complaint.complainant_address,
            masked=False,
        )
    return Complainant(
        name=mask_name(complaint.complainant_name),
        phone=mask_phone(complaint.complainant_phone),
        id_number=mask_id(complaint.complainant_id_number),
        email=_mask_email(complaint.complainant_email),
        address="***" if complaint.complainant_address else "",
        masked=True,
    )


def _mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"
