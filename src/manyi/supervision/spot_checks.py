"""Random spot checks (抽查): the sampler's inputs read from complaints and quality, a draw the
inspector can see and repeat, and the draw scheduled as visits.

The inputs, for every open outlet under the chosen unit: its branch (the stratum: the child of
the chosen unit on the outlet's path; when the chosen unit is the outlet's own parent, all its
outlets make one stratum), its complaints received in the last `WINDOW_DAYS` days
(`complaints.facts`) and whether its satisfaction over the same days is low (`quality.facts`).
The draw itself is `domain.sampler` (its weights are documented there). Scheduling draws again
on the server from the seed, so what is stored is what the seed gives, and keeps the draw with
each outlet's inputs in the plan, so the inspector can later show why an outlet was drawn.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import facts as complaint_facts
from manyi.errors import InvalidInput
from manyi.org.model import UnitLevel
from manyi.org.tables import Unit
from manyi.quality import facts as quality_facts
from manyi.supervision import inspections
from manyi.supervision.domain import sampler
from manyi.supervision.plan_tables import InspectionPlan
from manyi.supervision.plans import (
    check_name,
    local_today,
    outlets_under,
    plan_ref,
    unit_in_scope,
)

WINDOW_DAYS = 90
MAX_DAYS_AHEAD = 366


def new_seed() -> str:
    """A seed for an inspector who did not bring one: 8 characters, easy to read out."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


@dataclass(frozen=True, slots=True)
class Inputs:
    unit: Unit
    candidates: list[sampler.Candidate]
    outlets: dict[int, Unit]
    branches: dict[int, Unit]


def inputs(session: Session, unit: Unit, now: dt.datetime) -> Inputs:
    outlets = {o.id: o for o in outlets_under(session, unit)}
    depth = len(_ids(unit.path))
    stratum: dict[int, int] = {}
    for outlet in outlets.values():
        ids = _ids(outlet.path)
        below = ids[depth] if len(ids) > depth else outlet.id
        stratum[outlet.id] = unit.id if below == outlet.id else below
    since = now - dt.timedelta(days=WINDOW_DAYS)
    complaints = complaint_facts.received_by_unit(session, unit.path, since, now)
    low = quality_facts.low_satisfaction(session, unit.path, since, now)
    candidates = [
        sampler.Candidate(o, stratum[o], complaints.get(o, 0), o in low) for o in sorted(outlets)
    ]
    branch_ids = set(stratum.values())
    # Branches directly under the unit with no open outlet are listed too (allocated nothing).
    branch_ids.update(
        session.scalars(
            select(Unit.id).where(
                Unit.parent_id == unit.id,
                Unit.active.is_(True),
                Unit.level != UnitLevel.OUTLET,
            )
        )
    )
    branches = {b: session.get(Unit, b) for b in branch_ids}
    return Inputs(unit, candidates, outlets, {b: u for b, u in branches.items() if u})


@dataclass(frozen=True, slots=True)
class DrawnOutlet:
    outlet: Unit
    branch: Unit
    complaints: int
    low_satisfaction: bool
    weight: float


@dataclass(frozen=True, slots=True)
class Preview:
    unit: Unit
    draw: sampler.Draw
    picks: list[DrawnOutlet]
    strata: list[tuple[Unit, sampler.Stratum]]
    candidates: int


def preview(
    session: Session, actor: audit.Actor, *, unit_id: int, seed: str, n: int, now: dt.datetime
) -> Preview:
    """The draw for this seed and size over the unit's outlets (reads only)."""
    unit = unit_in_scope(session, actor, unit_id)
    found = inputs(session, unit, now)
    drawn = sampler.draw(seed, found.candidates, n, branches=found.branches)
    by_id = {c.outlet_id: c for c in found.candidates}
    picks = [
        DrawnOutlet(
            found.outlets[p.outlet_id],
            found.branches[p.branch_id],
            by_id[p.outlet_id].complaints_90d,
            by_id[p.outlet_id].low_satisfaction,
            p.weight,
        )
        for p in drawn.picks
    ]
    strata = [(found.branches[s.branch_id], s) for s in drawn.strata]
    return Preview(unit, drawn, picks, strata, len(found.candidates))


def _draw_json(shown: Preview) -> dict[str, Any]:
    return {
        "weights": {
            "base": sampler.DEFAULT_WEIGHTS.base,
            "per_complaint": sampler.DEFAULT_WEIGHTS.per_complaint,
            "complaint_cap": sampler.DEFAULT_WEIGHTS.complaint_cap,
            "low_satisfaction": sampler.DEFAULT_WEIGHTS.low_satisfaction,
        },
        "window_days": WINDOW_DAYS,
        "candidates": shown.candidates,
        "strata": [
            {
                "branch": u.code,
                "outlets": s.outlets,
                "quota": round(s.quota, 3),
                "drawn": s.allocated,
            }
            for u, s in shown.strata
        ],
        "picks": [
            {
                "outlet": p.outlet.code,
                "branch": p.branch.code,
                "complaints": p.complaints,
                "low_satisfaction": p.low_satisfaction,
                "weight": p.weight,
            }
            for p in shown.picks
        ],
    }


def schedule_spot_check(
    session: Session,
    actor: audit.Actor,
    *,
    unit_id: int,
    seed: str,
    n: int,
    planned_on: dt.date,
    name: str,
    now: dt.datetime,
) -> int:
    """Draw again from the seed and plan a spot visit ("spot") of each drawn outlet on
    `planned_on`; returns the plan's id."""
    name = check_name(name)
    shown = preview(session, actor, unit_id=unit_id, seed=seed, n=n, now=now)
    today = local_today(shown.unit, now)
    if not today <= planned_on <= today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput("A spot check is planned from today up to a year ahead.", "planned_on")
    if not shown.picks:
        raise InvalidInput("There is no open outlet under this unit to inspect.", "unit_id")
    plan = InspectionPlan(
        kind="spot",
        name=name,
        unit_id=shown.unit.id,
        unit_path=shown.unit.path,
        period=planned_on.isoformat(),
        starts_on=planned_on,
        ends_on=planned_on,
        visits_per_outlet=1,
        seed=shown.draw.seed,
        sample_size=n,
        draw=_draw_json(shown),
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    for pick in shown.picks:
        inspections.schedule_visit(
            session,
            actor,
            outlet_id=pick.outlet.id,
            kind="spot",
            planned_on=planned_on,
            plan_ref=plan_ref(plan.id),
            now=now,
        )
    audit.record(
        session,
        actor,
        entity_type="inspection_plan",
        entity_id=plan.id,
        action="draw",
        summary={
            "kind": "spot",
            "unit": shown.unit.code,
            "seed": shown.draw.seed,
            "n": n,
            "drawn": [p.outlet.code for p in shown.picks],
            "planned_on": planned_on.isoformat(),
        },
        unit_id=shown.unit.id,
        unit_path=shown.unit.path,
        now=now,
    )
    return plan.id
