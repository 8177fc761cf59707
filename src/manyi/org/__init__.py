"""Organisation: units, staff, roles, permissions, sign-in, data scope, device tokens.

Every feature builds on it: the unit tree and roles (`model`), the tables (`tables`), unit and
staff use cases (`service`, `staff`), signing in (`sign_in`; with the bank's directory:
`directory_sign_in`, its pure rules `directory_rules`, the LDAP client `adapters`, the
worker's `directory_sweep`),
the data scope in SQL (`scope`), device tokens
(`device_tokens`) and the password policy (`passwords`).
"""

from manyi.org.model import Permission, Role, Scope, UnitLevel
from manyi.org.tables import DeviceToken, Staff, StaffRole, Unit

PUBLIC = (
    "model",
    "scope",
    "tables",
    "service",
    "staff",
    "sign_in",
    "directory_sign_in",
    "directory_rules",
    "adapters",
    "device_tokens",
    "passwords",
)

__all__ = ["DeviceToken", "Permission", "Role", "Scope", "Staff", "StaffRole", "Unit", "UnitLevel"]
