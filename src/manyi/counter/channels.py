"""What the counter tells lobby guidance about its catalogue (listed in PUBLIC): each transaction
type's current version, its names and where else than at a counter a customer can do it (the
type's `x-manyi.channels`: self-service machines by kind, the function in mobile and online
banking), so the lobby manager's page can propose a diversion.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.counter.catalogue_store import latest_rows, type_of
from manyi.counter.domain.catalogue import MACHINE_KINDS, Channels
from manyi.counter.domain.fields import Names

__all__ = ["MACHINE_KINDS", "Channels", "Need", "needs"]


@dataclass(frozen=True, slots=True)
class Need:
    code: str
    names: Names
    channels: Channels


def needs(session: Session) -> list[Need]:
    """Every type's current version, in the catalogue's order."""
    types = (type_of(row) for row in latest_rows(session))
    return [Need(tx.code, tx.names, tx.channels) for tx in types]
