"""An outlet's self-service machines (the ones triage can send a customer to), kept by whoever
configures the outlet's lobby (`lobby.configure`: the branch head, an administrator); audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, NotFound
from manyi.guidance.access import Who
from manyi.guidance.domain.triage import check_machine_label, machine_kind_of
from manyi.guidance.tables import GuidanceMachine
from manyi.org.model import Permission
from manyi.org.tables import Unit

__all__ = ["add", "set_in_service"]


def _need(who: Who) -> None:
    if Permission.LOBBY_CONFIGURE not in who.permissions:
        raise Forbidden("only who configures the lobby keeps its machines", error_code="forbidden")


def add(
    session: Session, who: Who, outlet: Unit, label: str, kind: str, now: dt.datetime
) -> GuidanceMachine:
    _need(who)
    text, machine_kind = check_machine_label(label), machine_kind_of(kind)
    taken = session.scalar(
        select(GuidanceMachine.id).where(
            GuidanceMachine.outlet_id == outlet.id, GuidanceMachine.label == text
        )
    )
    if taken is not None:
        raise Conflict("this outlet already has a machine labelled {label}", "label", label=text)
    row = GuidanceMachine(
        outlet_id=outlet.id, label=text, kind=machine_kind.value, in_service=True, changed_at=now
    )
    session.add(row)
    session.flush()
    _audit(session, who, outlet, row, "add", now, label=text, kind=machine_kind.value)
    return row


def set_in_service(
    session: Session, who: Who, outlet: Unit, machine_id: int, in_service: bool, now: dt.datetime
) -> GuidanceMachine:
    """A machine out of order is taken out of service (triage stops proposing it), not deleted:
    past encounters name it."""
    _need(who)
    row = session.get(GuidanceMachine, machine_id)
    if row is None or row.outlet_id != outlet.id:
        raise NotFound("no machine {id} at this outlet", "machine", id=machine_id)
    row.in_service, row.changed_at = in_service, now
    _audit(session, who, outlet, row, "service", now, in_service=in_service)
    return row


def _audit(
    session: Session,
    who: Who,
    outlet: Unit,
    row: GuidanceMachine,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        who.actor,
        entity_type="guidance_machine",
        entity_id=str(row.id),
        action=f"guidance.machine.{action}",
        summary=dict(summary),
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
