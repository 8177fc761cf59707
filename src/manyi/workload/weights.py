"""An outlet's default complexity weight per lobby service: the weight of a ticket served
without a counter bundle (`queries.servings`). Set by `manyi workload weight`; audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput, NotFound
from manyi.lobby import layouts
from manyi.workload.tables import ServiceWeight

MAX_WEIGHT = 10.0  # as the catalogue's transaction weights, and the table's check


def set_service_weight(
    session: Session, actor: audit.Actor, outlet_code: str, service_code: str, weight: float
) -> float | None:
    """Set (or, with weight 1.0, clear) a service's default weight; returns the old one."""
    outlet = layouts.outlet_by_code(session, outlet_code, actor.unit_path or "/")
    if service_code not in layouts.layout(session, outlet).services:
        raise NotFound("no service {code} at this outlet", "service", code=service_code)
    if not 0 < weight <= MAX_WEIGHT:
        raise InvalidInput("weight: above 0 and at most {most}", "weight", most=MAX_WEIGHT)
    row = session.scalar(
        select(ServiceWeight).where(
            ServiceWeight.outlet_id == outlet.id, ServiceWeight.service_code == service_code
        )
    )
    before = row.weight if row else None
    if weight == 1.0:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(ServiceWeight(outlet_id=outlet.id, service_code=service_code, weight=weight))
    else:
        row.weight = weight
    audit.record(
        session,
        actor,
        entity_type="lobby_service",
        entity_id=f"{outlet.code}/{service_code}",
        action="workload.service_weight",
        summary={"outlet": outlet.code, "service": service_code, "before": before, "after": weight},
        unit_id=outlet.id,
        unit_path=outlet.path,
    )
    session.flush()
    return before
