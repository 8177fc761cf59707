"""An outlet's appointment rules: read (defaults when none saved) and saved by its head."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput
from manyi.org.tables import Unit
from manyi.reach.appointment_tables import AppointmentRules
from manyi.reach.domain.slots import Rules

FIELDS = tuple(f.name for f in dataclasses.fields(Rules))


def rules_for(session: Session, outlet_id: int) -> Rules:
    row = session.get(AppointmentRules, outlet_id)
    if row is None:
        return Rules()
    return Rules(**{name: getattr(row, name) for name in FIELDS})


def checked(current: Rules, values: dict[str, Any]) -> Rules:
    """The current rules with `values` over them (times may be "HH:MM"), checked: raises
    InvalidInput naming the field at fault."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidInput("unknown rule {name}", sorted(unknown)[0], name=sorted(unknown)[0])
    merged = {**dataclasses.asdict(current), **values}
    for name in ("book_from", "book_until"):
        if isinstance(merged[name], str):
            try:
                merged[name] = dt.time.fromisoformat(merged[name])
            except ValueError:
                raise InvalidInput("give the time as HH:MM", name) from None
    return Rules(**merged)


def save_rules(
    session: Session, actor: audit.Actor, outlet: Unit, values: dict[str, Any], now: dt.datetime
) -> Rules:
    """Check and save the rules (every field; missing ones keep their value)."""
    rules = checked(rules_for(session, outlet.id), values)
    row = session.get(AppointmentRules, outlet.id)
    if row is None:
        row = AppointmentRules(outlet_id=outlet.id, changed_at=now)
        session.add(row)
    for name in FIELDS:
        setattr(row, name, getattr(rules, name))
    row.changed_at, row.changed_by = now, actor.id
    audit.record(
        session,
        actor,
        entity_type="appointment_rules",
        entity_id=outlet.id,
        action="appointment.rules_saved",
        summary={
            k: str(v) if isinstance(v, dt.time) else v for k, v in dataclasses.asdict(rules).items()
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
    return rules
