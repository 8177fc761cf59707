"""Who acts in lobby guidance: the staff member, their unit and permissions (the audit actor)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi import audit
from manyi.errors import Forbidden
from manyi.org.model import Permission, UnitLevel


@dataclass(frozen=True)
class Who:
    staff_id: int
    name: str
    unit_id: int
    unit_path: str
    permissions: frozenset[Permission]
    unit_level: str = UnitLevel.OUTLET.value

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(
            id=self.staff_id, name=self.name, unit_id=self.unit_id, unit_path=self.unit_path
        )

    def need(self, permission: Permission, message: str = "you may not do this") -> None:
        if permission not in self.permissions:
            raise Forbidden(message, error_code="forbidden")
