"""Who acts on visits, and which visits they see (their unit's subtree; others: not found)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Forbidden, NotFound
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Staff
from manyi.special.tables import SpecialVisit


@dataclass(frozen=True)
class Who:
    staff_id: int
    name: str
    unit_id: int
    unit_path: str
    permissions: frozenset[Permission]

    @classmethod
    def of(cls, staff: Staff) -> Who:
        return cls(staff.id, staff.display_name, staff.unit_id, staff.unit.path, staff.permissions)

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(
            id=self.staff_id, name=self.name, unit_id=self.unit_id, unit_path=self.unit_path
        )

    def need(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden("you may not do this with visits", error_code="forbidden")


def load(session: Session, who: Who, reference: str, *, lock: bool = False) -> SpecialVisit:
    """The visit with this reference in the scope of `who`, else NotFound."""
    statement = select(SpecialVisit).where(SpecialVisit.reference == reference)
    if lock:
        statement = statement.with_for_update()
    visit = session.scalar(statement)
    if visit is None or not path_in_scope(who.unit_path, visit.outlet_path):
        raise NotFound("there is no visit {reference}", "visit", reference=reference)
    return visit


def record(
    session: Session,
    who: Who,
    visit: SpecialVisit,
    action: str,
    now: object,
    **summary: object,
) -> None:
    """One step in the audit chain (no personal data in the summary)."""
    session.flush()
    audit.record(
        session,
        who.actor,
        entity_type="special_visit",
        entity_id=visit.reference,
        action=f"special.visit.{action}",
        summary={"state": visit.state, **summary},
        unit_id=visit.outlet_id,
        unit_path=visit.outlet_path,
        now=now,  # type: ignore[arg-type]
    )
