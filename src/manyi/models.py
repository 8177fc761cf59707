"""Imports every feature's tables so that `Base.metadata` knows them all."""

from manyi.audit.tables import AuditEvent, AuditHead
from manyi.db import Base
from manyi.org.tables import DeviceToken, Staff, StaffRole, Unit

__all__ = ["AuditEvent", "AuditHead", "Base", "DeviceToken", "Staff", "StaffRole", "Unit"]
