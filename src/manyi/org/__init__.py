"""Organisation: units, staff, roles, permissions, sign-in, data scope, device tokens."""

from manyi.org.model import Permission, Role, Scope, UnitLevel
from manyi.org.tables import DeviceToken, Staff, StaffRole, Unit

__all__ = ["DeviceToken", "Permission", "Role", "Scope", "Staff", "StaffRole", "Unit", "UnitLevel"]
