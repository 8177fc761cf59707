"""What the case library's and training's pages read: the cases a staff member may see, a
module to take, a staff member's modules, and completion and scores per outlet and staff."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from manyi.guidance.access import Who
from manyi.guidance.domain.cases import CaseState, Topic
from manyi.guidance.domain.training import Question
from manyi.guidance.training import questions_of
from manyi.guidance.training_tables import (
    GuidanceAssignment,
    GuidanceAttempt,
    GuidanceCase,
    GuidanceModule,
    GuidanceModuleCase,
)
from manyi.org.model import Permission, UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit

CASES_SHOWN = 500  # the newest cases the library's list shows (after its filters)


def cases(session: Session, who: Who, state: str = "", topic: str = "") -> list[GuidanceCase]:
    """Published cases for everyone; the others in the scope of those who write or publish.
    The newest CASES_SHOWN of them in the state and with the topic asked for, if any."""
    writer = bool({Permission.GUIDANCE_CASES, Permission.GUIDANCE_PUBLISH} & who.permissions)
    seen = GuidanceCase.state == CaseState.PUBLISHED.value
    if writer:
        seen = or_(seen, in_scope(GuidanceCase.unit_path, who.unit_path))
    statement = select(GuidanceCase).where(seen).order_by(GuidanceCase.id.desc())
    if state:
        statement = statement.where(GuidanceCase.state == state)
    if topic:
        if topic not in {t.value for t in Topic}:
            return []
        # In the database, before the limit: a topic's older cases are not cut off by newer
        # ones of other topics. The topics are a JSON list of enum values, each in quotes in
        # its text on both engines, so the quoted value matches that topic only.
        statement = statement.where(cast(GuidanceCase.topics, String).contains(f'"{topic}"'))
    return list(session.scalars(statement.limit(CASES_SHOWN)))


def published_cases(session: Session) -> list[GuidanceCase]:
    return list(
        session.scalars(
            select(GuidanceCase)
            .where(GuidanceCase.state == CaseState.PUBLISHED.value)
            .order_by(GuidanceCase.id)
        )
    )


def modules(session: Session) -> list[GuidanceModule]:
    return list(session.scalars(select(GuidanceModule).order_by(GuidanceModule.id.desc())))


@dataclass(frozen=True)
class Taking:
    module: GuidanceModule
    cases: list[GuidanceCase]
    questions: list[Question]


def taking(session: Session, module: GuidanceModule) -> Taking:
    rows = session.scalars(
        select(GuidanceCase)
        .join(GuidanceModuleCase, GuidanceModuleCase.case_id == GuidanceCase.id)
        .where(GuidanceModuleCase.module_id == module.id)
        .order_by(GuidanceModuleCase.position)
    )
    return Taking(module, list(rows), questions_of(module))


@dataclass(frozen=True)
class MyModule:
    module: GuidanceModule
    assigned: GuidanceAssignment | None
    best: float | None  # best score so far
    passed: bool
    attempts: int


def my_modules(session: Session, who: Who) -> list[MyModule]:
    """The modules assigned to the staff member's outlet first (soonest due), then the other
    published ones, each with the member's best score and whether they passed."""
    assigned = {
        a.module_id: a
        for a in session.scalars(
            select(GuidanceAssignment).where(GuidanceAssignment.unit_id == who.unit_id)
        )
    }
    attempts: dict[int, list[GuidanceAttempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(GuidanceAttempt).where(GuidanceAttempt.staff_id == who.staff_id)
    ):
        attempts[attempt.module_id].append(attempt)
    found = []
    for module in session.scalars(
        select(GuidanceModule).where(GuidanceModule.state == "published")
    ):
        mine = attempts.get(module.id, [])
        found.append(
            MyModule(
                module,
                assigned.get(module.id),
                max((a.right / a.total for a in mine if a.total), default=None),
                any(a.passed for a in mine),
                len(mine),
            )
        )
    far = dt.date.max
    return sorted(
        found,
        key=lambda m: (m.assigned is None, (m.assigned.due_on or far) if m.assigned else far,
                       m.module.id),
    )  # fmt: skip


@dataclass(frozen=True)
class StaffLine:
    name: str
    outlet: str  # the outlet's code
    assigned: int
    completed: int
    best_mean: float | None  # mean of the best scores of the modules attempted


@dataclass(frozen=True)
class OutletLine:
    code: str
    name: str
    staff: int
    assigned: int  # staff × modules assigned
    completed: int
    best_mean: float | None

    @property
    def completion(self) -> float | None:
        return self.completed / self.assigned if self.assigned else None


def report(session: Session, scope_path: str) -> tuple[list[OutletLine], list[StaffLine]]:
    """Completion and scores of the assigned modules, per outlet and per staff member, for the
    outlets in the scope that have assignments."""
    assignments = session.execute(
        select(GuidanceAssignment.unit_id, GuidanceAssignment.module_id).where(
            in_scope(GuidanceAssignment.unit_path, scope_path)
        )
    ).all()
    by_outlet: dict[int, set[int]] = defaultdict(set)
    for unit_id, module_id in assignments:
        by_outlet[unit_id].add(module_id)
    if not by_outlet:
        return [], []
    outlets = {
        u.id: u
        for u in session.scalars(
            select(Unit).where(Unit.id.in_(by_outlet), Unit.level == UnitLevel.OUTLET.value)
        )
    }
    staff = session.execute(
        select(Staff.id, Staff.display_name, Staff.unit_id)
        .where(Staff.unit_id.in_(outlets), Staff.active.is_(True))
        .order_by(Staff.unit_id, Staff.display_name)
    ).all()
    best: dict[tuple[int, int], tuple[float, bool]] = {}
    for attempt in session.scalars(
        select(GuidanceAttempt).where(GuidanceAttempt.staff_id.in_([s.id for s in staff]))
    ):
        key = (attempt.staff_id, attempt.module_id)
        share = attempt.right / attempt.total if attempt.total else 0.0
        old = best.get(key, (0.0, False))
        best[key] = (max(old[0], share), old[1] or attempt.passed)
    staff_lines: list[StaffLine] = []
    for staff_id, name, unit_id in staff:
        modules = by_outlet[unit_id]
        scores = [best[(staff_id, m)][0] for m in modules if (staff_id, m) in best]
        completed = sum(1 for m in modules if best.get((staff_id, m), (0.0, False))[1])
        staff_lines.append(
            StaffLine(name, outlets[unit_id].code, len(modules), completed,
                      sum(scores) / len(scores) if scores else None)
        )  # fmt: skip
    outlet_lines = []
    for unit_id in sorted(outlets, key=lambda u: outlets[u].code):
        mine = [line for line in staff_lines if line.outlet == outlets[unit_id].code]
        means = [line.best_mean for line in mine if line.best_mean is not None]
        outlet_lines.append(
            OutletLine(
                outlets[unit_id].code,
                outlets[unit_id].name_zh,
                len(mine),
                sum(line.assigned for line in mine),
                sum(line.completed for line in mine),
                sum(means) / len(means) if means else None,
            )
        )
    return outlet_lines, staff_lines
