"""Who acts at the counter, and on which bundles.

Services take a `Clerk` (built from a staff row, or by the web layer from its Principal)
rather than the web's objects, so the CLI, the tests and the pages act through the same
rules. A clerk sees bundles of outlets in their scope (their unit's subtree); anything
else is reported as not found, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter.tables import CounterBundle
from manyi.errors import Forbidden, NotFound
from manyi.org.model import Permission, UnitLevel, path_in_scope
from manyi.org.tables import Staff

__all__ = ["Clerk", "bundle_for"]


@dataclass(frozen=True)
class Clerk:
    staff_id: int
    name: str
    unit_id: int
    unit_path: str
    unit_level: UnitLevel
    permissions: frozenset[Permission]

    @classmethod
    def of(cls, staff: Staff) -> Clerk:
        return cls(
            staff_id=staff.id,
            name=staff.display_name,
            unit_id=staff.unit_id,
            unit_path=staff.unit.path,
            unit_level=staff.unit.unit_level,
            permissions=staff.permissions,
        )

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(
            id=self.staff_id, name=self.name, unit_id=self.unit_id, unit_path=self.unit_path
        )

    @property
    def at_outlet(self) -> bool:
        return self.unit_level is UnitLevel.OUTLET

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def need(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden("you may not do this at the counter", error_code="forbidden")

    def need_any(self, *permissions: Permission) -> None:
        if not any(p in self.permissions for p in permissions):
            raise Forbidden("you may not do this at the counter", error_code="forbidden")

    def sees(self, path: str) -> bool:
        return path_in_scope(self.unit_path, path)


def bundle_for(
    session: Session, clerk: Clerk, reference: str, *, lock: bool = False
) -> CounterBundle:
    """The bundle with this reference in the clerk's scope, else NotFound."""
    statement = select(CounterBundle).where(CounterBundle.reference == reference)
    if lock:
        statement = statement.with_for_update()
    bundle = session.scalar(statement)
    if bundle is None or not clerk.sees(bundle.outlet_path):
        raise NotFound("there is no bundle {reference}", "bundle", reference=reference)
    return bundle
