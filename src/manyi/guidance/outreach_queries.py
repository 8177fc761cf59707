"""Reads for the outreach pages: the events of the viewer's scope with filters, one event's
detail, and the figures rolled up the organisation for a period.

The roll-up sums in SQL per outlet, state, topic and kind of venue (one indexed range over
`outlet_path, event_on`), then adds those groups up per unit one level below the viewer
(`domain.outreach_figures.roll_up`): head office sees its tier-1 branches, a branch its
sub-branches and direct outlets, an outlet itself. The sums are additive, so a branch's row
equals the sum of what each of its children would show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from manyi.guidance.access import Who
from manyi.guidance.domain.outreach import State
from manyi.guidance.domain.outreach_figures import Group, Period, Tally, roll_up, total
from manyi.guidance.outreach_tables import OutreachEvent, OutreachPhoto, OutreachStaff
from manyi.org.model import UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit

LIST_LIMIT = 500  # on the page
EXPORT_LIMIT = 20_000  # in the Excel export: a busy tier-1 branch's year


@dataclass(frozen=True)
class Filters:
    period: Period
    state: str = ""
    topic: str = ""
    venue_kind: str = ""
    outlet: str = ""  # an outlet's code


@dataclass(frozen=True)
class EventRow:
    reference: str
    outlet: str
    branch: str
    state: str
    title: str
    topic: str
    venue_kind: str
    venue: str
    event_on: dt.date
    participants: int | None
    materials: int | None


def _name(zh: str, en: str | None, lang: str) -> str:
    """A unit's name in the page's language (Chinese when it has no English name)."""
    return en if lang == "en" and en else zh


def outlets(session: Session, who: Who, lang: str = "zh-CN") -> list[tuple[str, str]]:
    """(code, name) of the active outlets in scope, for the filters and the planning form."""
    rows = session.execute(
        select(Unit.code, Unit.name_zh, Unit.name_en)
        .where(in_scope(Unit.path, who.unit_path), Unit.level == UnitLevel.OUTLET, Unit.active)
        .order_by(Unit.code)
    )
    return [(code, _name(zh, en, lang)) for code, zh, en in rows]


def _filtered(who: Who, filters: Filters) -> list[object]:
    conditions: list[object] = [
        in_scope(OutreachEvent.outlet_path, who.unit_path),
        OutreachEvent.event_on >= filters.period.start,
        OutreachEvent.event_on <= filters.period.end,
    ]
    if filters.state:
        conditions.append(OutreachEvent.state == filters.state)
    if filters.topic:
        conditions.append(OutreachEvent.topic == filters.topic)
    if filters.venue_kind:
        conditions.append(OutreachEvent.venue_kind == filters.venue_kind)
    return conditions


def events(
    session: Session, who: Who, filters: Filters, limit: int = LIST_LIMIT, lang: str = "zh-CN"
) -> list[EventRow]:
    """The events in scope and period that match the filters, latest first (`limit` of them)."""
    outlet, branch = aliased(Unit), aliased(Unit)
    statement = (
        select(OutreachEvent, outlet.name_zh, outlet.name_en, branch.name_zh, branch.name_en)
        .join(outlet, outlet.id == OutreachEvent.outlet_id)
        .outerjoin(branch, branch.id == outlet.parent_id)
        .where(*_filtered(who, filters))  # type: ignore[arg-type]
        .order_by(OutreachEvent.event_on.desc(), OutreachEvent.id.desc())
        .limit(limit)
    )
    if filters.outlet:
        statement = statement.where(outlet.code == filters.outlet)
    rows = []
    for event, outlet_zh, outlet_en, branch_zh, branch_en in session.execute(statement):
        # The branch above is shown only when the viewer's scope holds it.
        seen = _sees_parent(who, event.outlet_path) and branch_zh is not None
        above = _name(branch_zh, branch_en, lang) if seen else ""
        rows.append(
            EventRow(
                event.reference,
                _name(outlet_zh, outlet_en, lang),
                above,
                event.state,
                event.title,
                event.topic,
                event.venue_kind,
                event.venue,
                event.event_on,
                event.participants,
                event.materials,
            )
        )
    return rows


def _sees_parent(who: Who, outlet_path: str) -> bool:
    parent_path = outlet_path[: outlet_path.rstrip("/").rfind("/") + 1]
    return parent_path.startswith(who.unit_path)


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class Detail:
    event: OutreachEvent
    outlet: str
    planned_by: str
    recorded_by: str
    staff: list[Person]
    photos: list[tuple[int, dt.datetime]]
    candidates: list[Person]  # who may be named as having held it: the outlet's active staff


def detail(session: Session, event: OutreachEvent, lang: str = "zh-CN") -> Detail:
    names = dict(
        session.execute(
            select(Staff.id, Staff.display_name).where(
                Staff.id.in_([i for i in (event.planned_by_id, event.recorded_by_id) if i])
            )
        ).all()
    )
    staff = session.execute(
        select(Staff.id, Staff.display_name)
        .join(OutreachStaff, OutreachStaff.staff_id == Staff.id)
        .where(OutreachStaff.event_id == event.id)
        .order_by(Staff.display_name)
    )
    photos = session.execute(
        select(OutreachPhoto.id, OutreachPhoto.taken_at)
        .where(OutreachPhoto.event_id == event.id)
        .order_by(OutreachPhoto.id)
    )
    candidates = session.execute(
        select(Staff.id, Staff.display_name)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(in_scope(Unit.path, event.outlet_path), Staff.active)
        .order_by(Staff.display_name)
    )
    outlet = session.get_one(Unit, event.outlet_id)
    return Detail(
        event=event,
        outlet=outlet.name(lang),
        planned_by=names.get(event.planned_by_id, ""),
        recorded_by=names.get(event.recorded_by_id or 0, ""),
        staff=[Person(i, n) for i, n in staff],
        photos=[(i, at) for i, at in photos],
        candidates=[Person(i, n) for i, n in candidates],
    )


def photo(session: Session, event: OutreachEvent, photo_id: int) -> OutreachPhoto | None:
    found = session.get(OutreachPhoto, photo_id)
    return found if found is not None and found.event_id == event.id else None


@dataclass(frozen=True)
class UnitTally:
    code: str
    name: str
    level: str
    tally: Tally


@dataclass(frozen=True)
class RollUp:
    period: Period
    rows: list[UnitTally]  # one per unit a level below the viewer (the outlet itself)
    total: Tally


def groups(session: Session, scope_path: str, period: Period) -> list[Group]:
    """Events in the subtree of `scope_path` whose day falls in the period, summed per outlet,
    state, topic and kind of venue."""
    held = OutreachEvent.state == State.HELD
    statement = (
        select(
            OutreachEvent.outlet_path,
            OutreachEvent.state,
            OutreachEvent.topic,
            OutreachEvent.venue_kind,
            func.count(),
            func.coalesce(func.sum(OutreachEvent.participants).filter(held), 0),
            func.coalesce(func.sum(OutreachEvent.materials).filter(held), 0),
        )
        .where(
            and_(
                in_scope(OutreachEvent.outlet_path, scope_path),
                OutreachEvent.event_on >= period.start,
                OutreachEvent.event_on <= period.end,
            )
        )
        .group_by(
            OutreachEvent.outlet_path,
            OutreachEvent.state,
            OutreachEvent.topic,
            OutreachEvent.venue_kind,
        )
    )
    return [
        Group(p, s, t, v, int(n), int(pa or 0), int(m or 0))
        for p, s, t, v, n, pa, m in session.execute(statement)
    ]


def rollup(session: Session, who: Who, period: Period, lang: str = "zh-CN") -> RollUp:
    """The viewer's figures for the period, per unit one level down (an outlet: itself)."""
    own = session.get_one(Unit, who.unit_id)
    children = session.scalars(
        select(Unit).where(Unit.parent_id == own.id).order_by(Unit.code)
    ).all()
    units = list(children) or [own]
    tallies = roll_up(groups(session, own.path, period), [u.path for u in units])
    rows = [UnitTally(u.code, u.name(lang), u.level, tallies[u.path]) for u in units]
    return RollUp(period, rows, total(r.tally for r in rows))
