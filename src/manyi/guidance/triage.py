"""The lobby manager's triage at the door (大堂引导分流): record what was done for a customer in
one step, a ticket after all, and a diversion's result; each audited, none storing personal data.

- `record`: the tap. A ticket is issued through the lobby (its rules, event and audit), a
  diversion or a pre-fill stores the live wait prediction of the need's queue at that moment
  (the wait a completed diversion avoids), and the catalogue's function for mobile and online
  banking is kept with it as shown.
- `take_ticket`: the customer diverted still wants a ticket (never forced): issued and linked,
  and the diversion then avoided no wait.
- `set_result`: teaching given, task completed there; on the encounter's own local day only
  (the day's figures are rolled up after it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter import channels
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.guidance.access import Who
from manyi.guidance.domain.triage import (
    DIVERSIONS,
    TEACHABLE,
    Draft,
    Machine,
    Outcome,
    check,
    default_service,
)
from manyi.guidance.tables import GuidanceEncounter, GuidanceMachine
from manyi.lobby import issuing, layouts, queries
from manyi.lobby.domain.model import PriorityClass
from manyi.org.model import Permission, UnitLevel, path_in_scope
from manyi.org.tables import Unit

__all__ = ["Who", "machines_of", "outlet_of", "record", "set_result", "take_ticket"]

TRIAGE_ONLY = "only the lobby manager records triage"


def outlet_of(session: Session, who: Who, code: str) -> Unit:
    """The outlet in `who`'s scope with this code; elsewhere it does not exist."""
    return layouts.outlet_by_code(session, code.strip(), who.unit_path)


def machines_of(session: Session, outlet_id: int) -> list[Machine]:
    rows = session.scalars(
        select(GuidanceMachine)
        .where(GuidanceMachine.outlet_id == outlet_id)
        .order_by(GuidanceMachine.label)
    )
    return [Machine(r.id, r.label, r.kind, r.in_service) for r in rows]


def _target(session: Session, code: str) -> Unit | None:
    unit = session.scalar(select(Unit).where(Unit.code == code.strip())) if code.strip() else None
    if unit is None or not unit.active or unit.unit_level is not UnitLevel.OUTLET:
        return None
    return unit


def record(
    session: Session,
    who: Who,
    outlet: Unit,
    draft: Draft,
    now: dt.datetime,
    *,
    service_code: str = "",
    klass: str = PriorityClass.NORMAL.value,
) -> tuple[GuidanceEncounter, issuing.IssuedSlip | None]:
    """Store one encounter (and, for `ticket`, issue the ticket); refuses what does not hold
    together, naming the field, and then stores nothing."""
    who.need(Permission.LOBBY_MANAGE, TRIAGE_ONLY)
    needs = {n.code: n for n in channels.needs(session)}
    target = _target(session, draft.target_outlet)
    check(
        draft,
        needs={code: n.channels for code, n in needs.items()},
        machines=machines_of(session, outlet.id),
        own_outlet=outlet.code,
        outlets=[target.code] if target is not None else [],
    )
    lobby = layouts.layout(session, outlet)
    service = service_code.strip().upper() or default_service(draft.need, list(lobby.services))
    if service is not None and service not in lobby.services:
        raise InvalidInput("no service {code} at this outlet", "service", code=service[:16])
    slip = None
    if draft.outcome is Outcome.TICKET:
        if service is None:
            raise InvalidInput("this outlet has no service to queue for", "service")
        slip = issuing.issue_by_staff(
            session, who.actor, who.permissions, outlet.code, service, now, klass=klass
        )
        predicted = slip.predicted_wait_s
    else:
        estimate = queries.waits_for_new(session, outlet, now).get(service or "")
        predicted = estimate.wait_s if estimate is not None and estimate.served else None
    need = needs.get(draft.need)
    function = None
    if need is not None and draft.outcome is Outcome.MOBILE:
        function = need.channels.mobile
    elif need is not None and draft.outcome is Outcome.ONLINE:
        function = need.channels.online
    row = GuidanceEncounter(
        outlet_id=outlet.id,
        outlet_path=outlet.path,
        local_day=lobby.policy.business_day(now),
        at=now,
        staff_id=who.staff_id,
        need=draft.need,
        service_code=service,
        outcome=draft.outcome.value,
        klass=klass if slip is not None else None,
        machine_id=draft.machine_id,
        function_zh=function.zh if function is not None else "",
        function_en=function.en if function is not None else "",
        target_outlet_id=target.id if target is not None else None,
        taught=draft.taught,
        completed=draft.completed,
        ticket_id=slip.ticket_id if slip is not None else None,
        predicted_wait_s=predicted,
        changed_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, who, row, "record", now, need=draft.need, outcome=draft.outcome.value)
    return row, slip


def load(session: Session, who: Who, encounter_id: int, *, lock: bool = False) -> GuidanceEncounter:
    statement = select(GuidanceEncounter).where(GuidanceEncounter.id == encounter_id)
    if lock:
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None or not path_in_scope(who.unit_path, row.outlet_path):
        raise NotFound("no encounter {id}", "encounter", id=encounter_id)
    return row


def _same_day(session: Session, row: GuidanceEncounter, now: dt.datetime) -> Unit:
    outlet = session.get(Unit, row.outlet_id)
    assert outlet is not None
    if layouts.layout(session, outlet).policy.business_day(now) != row.local_day:
        raise Conflict("an encounter is changed on its own day only", "encounter")
    return outlet


def take_ticket(
    session: Session,
    who: Who,
    encounter_id: int,
    now: dt.datetime,
    *,
    service_code: str = "",
    klass: str = PriorityClass.NORMAL.value,
) -> issuing.IssuedSlip:
    """A diverted customer takes a ticket after all: issued and linked to the encounter."""
    who.need(Permission.LOBBY_MANAGE, TRIAGE_ONLY)
    row = load(session, who, encounter_id, lock=True)
    if Outcome(row.outcome) not in DIVERSIONS:
        raise Conflict("only a diverted customer takes a ticket afterwards", "encounter")
    if row.ticket_id is not None:
        raise Conflict("this customer already has a ticket", "encounter")
    outlet = _same_day(session, row, now)
    service = service_code.strip().upper() or row.service_code or ""
    slip = issuing.issue_by_staff(
        session, who.actor, who.permissions, outlet.code, service, now, klass=klass
    )
    row.ticket_id, row.klass, row.service_code, row.changed_at = (
        slip.ticket_id,
        klass,
        slip.service_code,
        now,
    )
    _audit(session, who, row, "ticket", now, ticket=slip.number)
    return slip


def set_result(
    session: Session,
    who: Who,
    encounter_id: int,
    now: dt.datetime,
    *,
    taught: bool,
    completed: bool | None,
) -> GuidanceEncounter:
    """Record a diversion's result: teaching given (machines, mobile, online), completed there."""
    who.need(Permission.LOBBY_MANAGE, TRIAGE_ONLY)
    row = load(session, who, encounter_id, lock=True)
    outcome = Outcome(row.outcome)
    if outcome not in DIVERSIONS:
        raise InvalidInput("a result is recorded for diversions only", "encounter")
    if taught and outcome not in TEACHABLE:
        raise InvalidInput(
            "teaching is recorded for self-service, mobile and online banking", "taught"
        )
    _same_day(session, row, now)
    row.taught, row.completed, row.changed_at = taught, completed, now
    _audit(session, who, row, "result", now, taught=taught, completed=completed)
    return row


def _audit(
    session: Session,
    who: Who,
    row: GuidanceEncounter,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        who.actor,
        entity_type="guidance_encounter",
        entity_id=str(row.id),
        action=f"guidance.encounter.{action}",
        summary=dict(summary),
        unit_id=row.outlet_id,
        unit_path=row.outlet_path,
        now=now,
    )
