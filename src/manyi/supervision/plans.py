"""Inspection plans: scheduled inspections (巡查) and the list of plans.

`create_scheduled_plan` visits every open outlet under a unit `visits` times in a period,
spread over the period's working days (`domain.plans`); each visit is planned through
`inspections.schedule_visit` (kind "scheduled") with `plan_ref = "plan:<id>"`, so the
inspections part shows where a visit came from. Spot-check draws are plans too
(`spot_checks`). Everything is within the actor's data scope: a unit outside it is not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput, NotFound
from manyi.org.model import UnitLevel, path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.supervision import inspections
from manyi.supervision.domain import plans as rules
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.plan_tables import InspectionPlan
from manyi.workdays.calendars import bank_calendar

MAX_NAME = 120


def plan_ref(plan_id: int) -> str:
    return f"plan:{plan_id}"


def local_today(unit: Unit, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(unit.timezone)).date()


def unit_in_scope(session: Session, actor: audit.Actor, unit_id: int) -> Unit:
    """The unit, if it is active and in the actor's scope (otherwise: not found)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active or not path_in_scope(actor.unit_path, unit.path):
        raise NotFound("There is no unit {id} in your scope.", "unit_id", id=unit_id)
    return unit


def outlets_under(session: Session, unit: Unit) -> list[Unit]:
    """The open outlets in the unit's subtree (the unit itself when it is one), by code."""
    return list(
        session.scalars(
            select(Unit)
            .where(
                in_scope(Unit.path, unit.path),
                Unit.level == UnitLevel.OUTLET,
                Unit.active.is_(True),
            )
            .order_by(Unit.code)
        )
    )


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("A plan's name is 1 to {n} characters.", "name", n=MAX_NAME)
    return name


def create_scheduled_plan(
    session: Session,
    actor: audit.Actor,
    *,
    unit_id: int,
    name: str,
    period: str,
    visits: int,
    now: dt.datetime,
) -> int:
    """A plan that inspects each outlet under the unit `visits` times in the period; returns
    its id. Nothing is stored when any check fails."""
    name = check_name(name)
    parsed = rules.parse_period(period)
    unit = unit_in_scope(session, actor, unit_id)
    outlets = outlets_under(session, unit)
    planned = rules.spread(
        bank_calendar(session), parsed, [o.id for o in outlets], visits, local_today(unit, now)
    )
    plan = InspectionPlan(
        kind="scheduled",
        name=name,
        unit_id=unit.id,
        unit_path=unit.path,
        period=parsed.label,
        starts_on=parsed.starts_on,
        ends_on=parsed.ends_on,
        visits_per_outlet=visits,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    for outlet_id, day in planned:
        inspections.schedule_visit(
            session,
            actor,
            outlet_id=outlet_id,
            kind="scheduled",
            planned_on=day,
            plan_ref=plan_ref(plan.id),
            now=now,
        )
    audit.record(
        session,
        actor,
        entity_type="inspection_plan",
        entity_id=plan.id,
        action="create",
        summary={
            "kind": "scheduled",
            "name": name,
            "unit": unit.code,
            "period": parsed.label,
            "visits_per_outlet": visits,
            "visits": len(planned),
        },
        unit_id=unit.id,
        unit_path=unit.path,
        now=now,
    )
    return plan.id


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanLine:
    id: int
    kind: str
    name: str
    unit_name_zh: str
    unit_name_en: str
    period: str
    starts_on: dt.date
    ends_on: dt.date
    seed: str | None
    sample_size: int | None
    visits: int
    submitted: int
    created_at: dt.datetime


def plan_lines(session: Session, scope_path: str, limit: int = 50) -> list[PlanLine]:
    """The newest plans of units in the scope, with their visits planned and submitted."""
    plans = session.execute(
        select(InspectionPlan, Unit.name_zh, Unit.name_en)
        .join(Unit, Unit.id == InspectionPlan.unit_id)
        .where(in_scope(InspectionPlan.unit_path, scope_path))
        .order_by(InspectionPlan.created_at.desc(), InspectionPlan.id.desc())
        .limit(limit)
    ).all()
    refs = [plan_ref(p.id) for p, _zh, _en in plans]
    counts: dict[str, tuple[int, int]] = {}
    if refs:
        submitted = func.sum(case((InspectionVisit.state == "submitted", 1), else_=0))
        for ref, total, done in session.execute(
            select(InspectionVisit.plan_ref, func.count(), submitted)
            .where(InspectionVisit.plan_ref.in_(refs))
            .group_by(InspectionVisit.plan_ref)
        ).all():
            counts[str(ref)] = (int(total), int(done or 0))
    return [
        PlanLine(
            p.id,
            p.kind,
            p.name,
            zh,
            en or zh,
            p.period,
            p.starts_on,
            p.ends_on,
            p.seed,
            p.sample_size,
            *counts.get(plan_ref(p.id), (0, 0)),
            created_at=p.created_at,
        )
        for p, zh, en in plans
    ]


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    id: int
    outlet_code: str
    outlet_zh: str
    outlet_en: str
    planned_on: dt.date
    state: str
    score: float | None


def plan_visits(
    session: Session, actor: audit.Actor, plan_id: int
) -> tuple[InspectionPlan, list[PlannedVisit]]:
    plan = session.get(InspectionPlan, plan_id)
    if plan is None or not path_in_scope(actor.unit_path, plan.unit_path):
        raise NotFound("There is no plan {id} in your scope.", "plan", id=plan_id)
    rows = session.execute(
        select(InspectionVisit, Unit.code, Unit.name_zh, Unit.name_en)
        .join(Unit, Unit.id == InspectionVisit.unit_id)
        .where(InspectionVisit.plan_ref == plan_ref(plan.id))
        .order_by(InspectionVisit.planned_on, Unit.code)
    ).all()
    return plan, [
        PlannedVisit(v.id, code, zh, en or zh, v.planned_on, v.state, v.score)
        for v, code, zh, en in rows
    ]


def units_to_choose(session: Session, scope_path: str) -> list[Unit]:
    """The active units in the scope, by path (a tree when indented by depth): for the forms."""
    return list(
        session.scalars(
            select(Unit)
            .where(in_scope(Unit.path, scope_path), Unit.active.is_(True))
            .order_by(Unit.path)
        )
    )
