"""Scenario training's use cases: head office makes a module of published cases with questions
and publishes it, assigns it to outlets; an inspection that fails an item a module trains
assigns that module to the outlet (supervision's `findings.on_submitted`, wired by the
composition roots); staff take a module and their attempt is scored. Each step audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.guidance.access import Who
from manyi.guidance.cases import publisher_only
from manyi.guidance.domain.cases import CaseState
from manyi.guidance.domain.training import (
    ModuleText,
    Question,
    Result,
    check_ready,
    modules_for_finding,
    score,
)
from manyi.guidance.training_tables import (
    GuidanceAssignment,
    GuidanceAttempt,
    GuidanceCase,
    GuidanceModule,
    GuidanceModuleCase,
)
from manyi.lobby import layouts
from manyi.org.tables import Unit
from manyi.supervision import findings

FINDING_DAYS = 14  # days an outlet has to complete a module a finding assigned


def create_module(
    session: Session,
    who: Who,
    text: ModuleText,
    case_ids: Sequence[int],
    questions: Sequence[Question],
    now: dt.datetime,
) -> GuidanceModule:
    """A draft module (head office): its cases must be published; order kept."""
    publisher_only(who)
    wanted = list(dict.fromkeys(case_ids))
    found = {
        row.id: row
        for row in session.scalars(select(GuidanceCase).where(GuidanceCase.id.in_(wanted)))
    }
    for case_id in wanted:
        row = found.get(case_id)
        if row is None or row.state != CaseState.PUBLISHED.value:
            raise InvalidInput("case {id} is not a published case", "cases", id=case_id)
    check_ready(wanted, questions)
    module = GuidanceModule(
        title=text.title,
        pass_mark=text.pass_mark,
        items=list(text.items),
        questions=[q.as_json() for q in questions],
        state="draft",
        created_by_id=who.staff_id,
        created_at=now,
    )
    session.add(module)
    session.flush()
    for position, case_id in enumerate(wanted, start=1):
        session.add(GuidanceModuleCase(module_id=module.id, position=position, case_id=case_id))
    _audit(session, who.actor, "guidance_module", module.id, "create", now, cases=wanted)
    return module


def module(session: Session, module_id: int, *, published: bool = False) -> GuidanceModule:
    row = session.get(GuidanceModule, module_id)
    if row is None or (published and row.state != "published"):
        raise NotFound("no module {id}", "module", id=module_id)
    return row


def publish_module(session: Session, who: Who, module_id: int, now: dt.datetime) -> None:
    publisher_only(who)
    row = module(session, module_id)
    if row.state == "published":
        raise Conflict("the module is published already", "module")
    row.state, row.published_at = "published", now
    _audit(session, who.actor, "guidance_module", row.id, "publish", now)


def _upsert(
    session: Session,
    module_id: int,
    outlet: Unit,
    due_on: dt.date | None,
    finding: str,
    by: int | None,
    now: dt.datetime,
) -> GuidanceAssignment:
    row = session.scalar(
        select(GuidanceAssignment).where(
            GuidanceAssignment.module_id == module_id, GuidanceAssignment.unit_id == outlet.id
        )
    )
    if row is None:
        row = GuidanceAssignment(
            module_id=module_id, unit_id=outlet.id, unit_path=outlet.path, assigned_at=now
        )
        session.add(row)
    row.due_on, row.finding, row.assigned_by_id, row.assigned_at = due_on, finding, by, now
    session.flush()
    return row


def assign(
    session: Session,
    who: Who,
    module_id: int,
    outlet_code: str,
    due_on: dt.date | None,
    now: dt.datetime,
) -> GuidanceAssignment:
    """Head office assigns a published module to an outlet (again: a new due date)."""
    publisher_only(who)
    module(session, module_id, published=True)
    outlet = layouts.outlet_by_code(session, outlet_code.strip(), who.unit_path)
    today = layouts.layout(session, outlet).policy.business_day(now)
    if due_on is not None and due_on < today:
        raise InvalidInput("the due date has passed", "due_on")
    row = _upsert(session, module_id, outlet, due_on, "", who.staff_id, now)
    _audit(session, who.actor, "guidance_assignment", row.id, "assign", now, module=module_id,
           outlet=outlet.code)  # fmt: skip
    return row


def assign_after_finding(session: Session, finding: findings.Finding, now: dt.datetime) -> int:
    """The listener of supervision's submitted inspections: each published module training a
    failed item is assigned to the outlet, due in FINDING_DAYS; how many."""
    published = session.execute(
        select(GuidanceModule.id, GuidanceModule.items).where(GuidanceModule.state == "published")
    ).all()
    wanted = modules_for_finding(finding.failed, [(i, items) for i, items in published])
    outlet = session.get(Unit, finding.unit_id)
    if not wanted or outlet is None:
        return 0
    due = layouts.layout(session, outlet).policy.business_day(now) + dt.timedelta(FINDING_DAYS)
    items = {i: set(codes) for i, codes in published}
    for module_id in wanted:
        codes = sorted(items[module_id] & set(finding.failed))
        note = f"visit {finding.visit_id} · {', '.join(codes)}"[:60]
        row = _upsert(session, module_id, outlet, due, note, None, now)
        _audit(session, audit.SYSTEM, "guidance_assignment", row.id, "assign", now,
               module=module_id, outlet=outlet.code, finding=note)  # fmt: skip
    return len(wanted)


def questions_of(row: GuidanceModule) -> list[Question]:
    return [Question.of(q) for q in row.questions]


def take(
    session: Session, who: Who, module_id: int, answers: Mapping[int, str], now: dt.datetime
) -> Result:
    """A staff member's attempt at a published module, scored and kept (try again at will)."""
    row = module(session, module_id, published=True)
    result = score(questions_of(row), answers, row.pass_mark)
    attempt = GuidanceAttempt(
        module_id=row.id,
        staff_id=who.staff_id,
        unit_id=who.unit_id,
        unit_path=who.unit_path,
        answers=[int(answers[n]) for n in range(1, result.total + 1)],
        right=result.right,
        total=result.total,
        passed=result.passed,
        at=now,
    )
    session.add(attempt)
    session.flush()
    _audit(session, who.actor, "guidance_attempt", attempt.id, "take", now, module=row.id,
           right=result.right, total=result.total, passed=result.passed)  # fmt: skip
    return result


def _audit(
    session: Session,
    actor: audit.Actor,
    entity_type: str,
    entity_id: int,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        actor,
        entity_type=entity_type,
        entity_id=str(entity_id),
        action=f"guidance.training.{action}",
        summary=dict(summary),
        now=now,
    )
