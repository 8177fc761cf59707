"""What the triage page and the guidance figures read: the needs with their proposals at this
outlet, the live waits, the outlet's machines, the day's encounters and their figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from manyi.counter import channels
from manyi.guidance.domain.triage import (
    Encounter,
    Figures,
    Machine,
    Outcome,
    Proposal,
    default_service,
    proposals,
)
from manyi.guidance.tables import GuidanceEncounter as G
from manyi.guidance.tables import GuidanceMachine
from manyi.guidance.triage import machines_of
from manyi.lobby import layouts, queries
from manyi.lobby.tables import LobbyTicket
from manyi.org.model import UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit

RECENT = 40  # encounters of the day listed on the page, newest first


@dataclass(frozen=True)
class NeedView:
    code: str
    name_zh: str
    name_en: str
    service_code: str | None  # the queue a ticket for it joins by default
    proposals: list[Proposal]


@dataclass(frozen=True)
class ServiceWait:
    code: str
    name_zh: str
    name_en: str
    served: bool
    wait_s: int | None
    ahead: int | None


@dataclass(frozen=True)
class EncounterRow:
    id: int
    at: dt.datetime
    need: str
    outcome: Outcome
    service_code: str | None
    klass: str | None
    machine: str
    function_zh: str
    function_en: str
    target: str
    taught: bool
    completed: bool | None
    ticket_number: str | None
    predicted_wait_s: int | None
    staff: str


@dataclass(frozen=True)
class TriagePage:
    outlet: Unit
    day: dt.date
    needs: list[NeedView]
    services: list[ServiceWait]
    machines: list[Machine]
    others: list[tuple[str, str, str]]  # (code, name zh, name en) of nearby outlets
    today: list[EncounterRow]
    figures: Figures
    need_names: dict[str, tuple[str, str]] = field(default_factory=dict)


def triage_page(session: Session, outlet: Unit, now: dt.datetime) -> TriagePage:
    lobby = layouts.layout(session, outlet)
    codes = list(lobby.services)
    machines = machines_of(session, outlet.id)
    needs = [
        NeedView(
            n.code,
            n.names.zh,
            n.names.en,
            default_service(n.code, codes),
            proposals(n.channels, machines),
        )
        for n in channels.needs(session)
    ]
    waits = queries.waits_for_new(session, outlet, now)
    services = [
        ServiceWait(
            s.code,
            s.name_zh,
            s.name_en or s.name_zh,
            waits[s.code].served,
            waits[s.code].wait_s,
            waits[s.code].ahead,
        )
        for s in lobby.services.values()
    ]
    day = lobby.policy.business_day(now)
    return TriagePage(
        outlet,
        day,
        needs,
        services,
        machines,
        nearby_outlets(session, outlet),
        encounters_of_day(session, outlet.id, day, RECENT),
        day_figures(session, outlet.id, day),
        {n.code: (n.name_zh, n.name_en) for n in needs},
    )


def nearby_outlets(session: Session, outlet: Unit) -> list[tuple[str, str, str]]:
    """The other active outlets under the branch two levels up (a tier-1 branch for the usual
    tree), those under the same parent first: where a customer is usually sent."""
    parent = session.get(Unit, outlet.parent_id) if outlet.parent_id else None
    above = session.get(Unit, parent.parent_id) if parent and parent.parent_id else parent
    if above is None:
        return []
    rows = session.execute(
        select(Unit.code, Unit.name_zh, Unit.name_en, Unit.parent_id)
        .where(
            in_scope(Unit.path, above.path),
            Unit.level == UnitLevel.OUTLET.value,
            Unit.active.is_(True),
            Unit.id != outlet.id,
        )
        .order_by(Unit.code)
    ).all()
    rows = sorted(rows, key=lambda r: r.parent_id != outlet.parent_id)
    return [(code, zh, en or zh) for code, zh, en, _parent in rows]


def encounters_of_day(
    session: Session, outlet_id: int, day: dt.date, limit: int | None = None
) -> list[EncounterRow]:
    return _encounter_rows(session, limit, G.outlet_id == outlet_id, G.local_day == day)


def _encounter_rows(
    session: Session, limit: int | None, *where: ColumnElement[bool]
) -> list[EncounterRow]:
    """Encounters (newest first) with their machine's label, the other outlet's name, the
    ticket's number and who met the customer."""
    target = Unit.__table__.alias("target")
    statement = (
        select(
            G,
            GuidanceMachine.label,
            target.c.name_zh,
            LobbyTicket.number,
            Staff.display_name,
        )
        .outerjoin(GuidanceMachine, GuidanceMachine.id == G.machine_id)
        .outerjoin(target, target.c.id == G.target_outlet_id)
        .outerjoin(LobbyTicket, LobbyTicket.id == G.ticket_id)
        .join(Staff, Staff.id == G.staff_id)
        .where(*where)
        .order_by(G.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [
        EncounterRow(
            e.id,
            e.at,
            e.need,
            Outcome(e.outcome),
            e.service_code,
            e.klass,
            label or "",
            e.function_zh,
            e.function_en,
            target_name or "",
            e.taught,
            e.completed,
            number,
            e.predicted_wait_s,
            staff,
        )
        for e, label, target_name, number, staff in session.execute(statement).all()
    ]


def day_figures(session: Session, outlet_id: int, day: dt.date) -> Figures:
    rows = session.execute(
        select(G.outcome, G.taught, G.completed, G.ticket_id, G.predicted_wait_s).where(
            G.outlet_id == outlet_id, G.local_day == day
        )
    ).all()
    return Figures.of(
        Encounter(Outcome(o), bool(t), c, ticket is not None, w) for o, t, c, ticket, w in rows
    )


@dataclass(frozen=True)
class EncounterView:
    row: EncounterRow
    outlet_code: str
    outlet_name: str
    need_zh: str
    need_en: str
    ticket_token: str | None
    services: list[tuple[str, str, str]]  # (code, name zh, name en) for a ticket after all


def encounter_view(session: Session, encounter: G) -> EncounterView:
    outlet = session.get(Unit, encounter.outlet_id)
    assert outlet is not None
    (row,) = _encounter_rows(session, None, G.id == encounter.id)
    names = {n.code: n.names for n in channels.needs(session)}
    need = names.get(encounter.need)
    token = None
    if encounter.ticket_id is not None:
        token = session.scalar(
            select(LobbyTicket.public_token).where(LobbyTicket.id == encounter.ticket_id)
        )
    services = [
        (s.code, s.name_zh, s.name_en or s.name_zh)
        for s in layouts.layout(session, outlet).services.values()
    ]
    return EncounterView(
        row,
        outlet.code,
        outlet.name_zh,
        need.zh if need else "",
        need.en if need else "",
        token,
        services,
    )


def outlet_code(session: Session, outlet_id: int) -> str:
    return str(session.scalar(select(Unit.code).where(Unit.id == outlet_id)) or "")


def outlets_in_scope(session: Session, scope_path: str) -> list[tuple[str, str, str]]:
    """The active outlets of a scope (a branch head above the outlet chooses one)."""
    rows = session.execute(
        select(Unit.code, Unit.name_zh, Unit.name_en)
        .where(
            in_scope(Unit.path, scope_path),
            Unit.level == UnitLevel.OUTLET.value,
            Unit.active.is_(True),
        )
        .order_by(Unit.code)
    ).all()
    return [(code, zh, en or zh) for code, zh, en in rows]
