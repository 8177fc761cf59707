"""Imports every feature's tables so that `Base.metadata` knows them all."""

from manyi.audit.tables import AuditEvent, AuditHead
from manyi.db import Base
from manyi.lobby.tables import (
    LobbyCounter,
    LobbyEventRow,
    LobbyService,
    LobbySettings,
    LobbyTicket,
    TellerSkill,
    TicketSequence,
)
from manyi.org.tables import DeviceToken, Staff, StaffRole, Unit
from manyi.ratelimit import RateLimitHit

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Base",
    "DeviceToken",
    "LobbyCounter",
    "LobbyEventRow",
    "LobbyService",
    "LobbySettings",
    "LobbyTicket",
    "RateLimitHit",
    "Staff",
    "StaffRole",
    "TellerSkill",
    "TicketSequence",
    "Unit",
]
