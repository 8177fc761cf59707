"""Inspections (巡查, 抽查, 暗访, 远程督导): plan a visit, fill its scorecard, submit it, and turn
a failed item into a rectification task in one step.

Every step checks the data scope (an outlet outside the actor's subtree is not found), records
itself in the audit chain, and refuses bad input with a named fault before anything is stored.
The score is `domain.scorecard`'s rule; the checklist is the version the visit was planned with.

An actor without a unit path (`audit.SYSTEM`, or the mystery shopper's single-use link, which
the plans part checks before it calls here) is not scope-limited: its caller vouched for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org.model import UnitLevel, path_in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision import findings, rectification
from manyi.supervision.domain import scorecard
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.domain.scorecard import Answer, Outcome, Score
from manyi.supervision.domain.visits import (
    VisitKind,
    VisitState,
    check_open,
    check_submitted,
    kind_of,
)
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit
from manyi.supervision.standards import Standard, ensure_standard, standard_by_id

MAX_NOTE = 1000
MAX_PLAN_REF = 120
DEFAULT_TASK_DAYS = 10  # working days to rectify a failed item, unless the issuer says otherwise


def _in_scope(actor: audit.Actor, path: str) -> bool:
    return not actor.unit_path or path_in_scope(actor.unit_path, path)


def load_visit(session: Session, actor: audit.Actor, visit_id: int) -> InspectionVisit:
    """The visit, if the actor's scope holds its outlet (otherwise it is not found)."""
    visit = session.get(InspectionVisit, visit_id)
    if visit is None or not _in_scope(actor, visit.unit_path):
        raise NotFound("there is no visit {id}", "visit", id=visit_id)
    return visit


def audit_visit(
    session: Session,
    actor: audit.Actor,
    visit: InspectionVisit,
    action: str,
    summary: dict[str, object],
    now: dt.datetime,
) -> None:
    audit.record(
        session,
        actor,
        entity_type="inspection_visit",
        entity_id=visit.id,
        action=action,
        summary=summary,
        unit_id=visit.unit_id,
        unit_path=visit.unit_path,
        now=now,
    )


def schedule_visit(
    session: Session,
    actor: audit.Actor,
    *,
    outlet_id: int,
    kind: str,
    planned_on: dt.date,
    plan_ref: str | None = None,
    recheck_of_task_id: int | None = None,
    inspector_id: int | None = None,
    now: dt.datetime,
) -> int:
    """Plan a visit of an outlet in the actor's scope, against the current checklist."""
    visit_kind = kind_of(kind)
    outlet = session.get(Unit, outlet_id)
    if outlet is None or not _in_scope(actor, outlet.path):
        raise NotFound("there is no unit {id}", "outlet", id=outlet_id)
    if outlet.level != UnitLevel.OUTLET or not outlet.active:
        raise InvalidInput(
            "{name} is not an open outlet: only outlets are inspected",
            "outlet",
            name=outlet.name_zh,
        )
    if plan_ref is not None and (not plan_ref.strip() or len(plan_ref) > MAX_PLAN_REF):
        raise InvalidInput("the plan reference is 1 to {n} characters", "plan_ref", n=MAX_PLAN_REF)
    if inspector_id is not None:
        inspector = session.get(Staff, inspector_id)
        if inspector is None or not inspector.active:
            raise InvalidInput("there is no active staff member {id}", "inspector", id=inspector_id)
        if not path_in_scope(inspector.unit.path, outlet.path):
            raise InvalidInput(
                "{name} cannot inspect {outlet}: it is outside their unit",
                "inspector",
                name=inspector.display_name,
                outlet=outlet.name_zh,
            )
    if visit_kind is VisitKind.MYSTERY:
        inspector_id = None  # the shopper is not staff; the plan keeps who they are
    if recheck_of_task_id is not None:
        waiting = {t.id: t for t in rectification.pending_rechecks(session, outlet.path)}
        task = waiting.get(recheck_of_task_id)
        if task is None or task.unit_id != outlet.id:
            raise InvalidInput(
                "task {id} of {outlet} is not waiting for a re-check",
                "recheck_of_task_id",
                id=recheck_of_task_id,
                outlet=outlet.name_zh,
            )
    standard = ensure_standard(session, now)
    visit = InspectionVisit(
        kind=visit_kind.value,
        unit_id=outlet.id,
        unit_path=outlet.path,
        standard_id=standard.id,
        planned_on=planned_on,
        state=VisitState.PLANNED.value,
        inspector_id=inspector_id,
        critical_failed=False,
        notes="",
        recheck_of_task_id=recheck_of_task_id,
        plan_ref=plan_ref.strip() if plan_ref else None,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(visit)
    session.flush()
    audit_visit(
        session,
        actor,
        visit,
        "schedule",
        {
            "kind": visit_kind.value,
            "outlet": outlet.code,
            "planned_on": planned_on.isoformat(),
            "standard_version": standard.version,
            "plan_ref": visit.plan_ref,
            "recheck_of_task_id": recheck_of_task_id,
        },
        now,
    )
    return visit.id


def take_up(visit: InspectionVisit, actor: audit.Actor) -> None:
    """The actor may fill this visit's card: the inspector it is assigned to, or the first
    inspector to start an unassigned one (who is then assigned)."""
    check_open(visit.state, visit.id)
    if actor.id is None or visit.kind == VisitKind.MYSTERY:
        return
    if visit.inspector_id is None:
        visit.inspector_id = actor.id
    elif visit.inspector_id != actor.id:
        raise Forbidden("visit {id} is assigned to another inspector", "visit", id=visit.id)


def results_of(session: Session, visit_id: int) -> dict[str, InspectionResult]:
    rows = session.scalars(select(InspectionResult).where(InspectionResult.visit_id == visit_id))
    return {r.item_code: r for r in rows}


def answers_of(rows: Mapping[str, InspectionResult]) -> dict[str, Answer]:
    return {
        code: Answer(Outcome(r.outcome) if r.outcome else None, r.note, len(r.photos or []))
        for code, r in rows.items()
    }


def result_row(
    session: Session,
    rows: dict[str, InspectionResult],
    visit: InspectionVisit,
    code: str,
    actor: audit.Actor,
    now: dt.datetime,
) -> InspectionResult:
    row = rows.get(code)
    if row is None:
        row = InspectionResult(
            visit_id=visit.id,
            item_code=code,
            outcome=None,
            note="",
            photos=[],
            recorded_at=now,
            recorded_by_id=actor.id,
        )
        session.add(row)
        rows[code] = row
    return row


def record_results(
    session: Session,
    actor: audit.Actor,
    visit_id: int,
    results: Mapping[str, tuple[str, str]],
    now: dt.datetime,
) -> Score:
    """Record answers {item code: (outcome, note)} ("" leaves an item unanswered); returns the
    score so far. Every code and outcome is checked before anything is stored."""
    visit = load_visit(session, actor, visit_id)
    take_up(visit, actor)
    standard = standard_by_id(session, visit.standard_id)
    scorecard.check_codes(standard.items, results.keys())
    checked: dict[str, tuple[Outcome | None, str]] = {}
    for code, (outcome_text, note) in results.items():
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(
                "item {code}: a note has at most {n} characters", "note", code=code, n=MAX_NOTE
            )
        checked[code] = (scorecard.outcome_of(outcome_text.strip(), code), note)
    rows = results_of(session, visit.id)
    changed: dict[str, str | None] = {}
    for code, (outcome, note) in checked.items():
        row = rows.get(code)
        value = outcome.value if outcome else None
        if row is not None and row.outcome == value and row.note == note:
            continue
        if row is None and value is None and not note:
            continue
        row = result_row(session, rows, visit, code, actor, now)
        row.outcome, row.note, row.recorded_at, row.recorded_by_id = value, note, now, actor.id
        changed[code] = value
    if visit.state == VisitState.PLANNED and changed:
        visit.state = VisitState.IN_PROGRESS.value
    if changed:
        session.flush()
        audit_visit(session, actor, visit, "record", {"answers": changed}, now)
    return scorecard.score(standard.items, answers_of(rows))


def submit_visit(
    session: Session,
    actor: audit.Actor,
    visit_id: int,
    now: dt.datetime,
    notes: str | None = None,
) -> Score:
    """Submit a complete scorecard: the score is fixed, a critical failure flags the visit, and
    a re-check's result goes back to its rectification task."""
    visit = load_visit(session, actor, visit_id)
    take_up(visit, actor)
    standard = standard_by_id(session, visit.standard_id)
    rows = results_of(session, visit.id)
    answers = answers_of(rows)
    result = scorecard.check_complete(standard.items, answers)
    if notes is not None:
        if len(notes.strip()) > MAX_NOTE:
            raise InvalidInput("the visit's notes have at most {n} characters", "notes", n=MAX_NOTE)
        visit.notes = notes.strip()
    visit.state = VisitState.SUBMITTED.value
    visit.score = result.value
    visit.critical_failed = result.critical_failed
    visit.submitted_at, visit.submitted_by_id = now, actor.id
    session.flush()
    audit_visit(
        session,
        actor,
        visit,
        "submit",
        {
            "score": result.value,
            "failed": list(result.failed),
            "critical_failures": list(result.critical_failures),
        },
        now,
    )
    if visit.recheck_of_task_id is not None:
        _link_recheck(session, actor, visit, answers, result, now)
    if result.failed:  # features above (lobby guidance's training) hear of the failed items
        findings.submitted(
            session,
            findings.Finding(visit.id, visit.unit_id, visit.unit_path, tuple(result.failed)),
            now,
        )
    return result


def _link_recheck(
    session: Session,
    actor: audit.Actor,
    visit: InspectionVisit,
    answers: Mapping[str, Answer],
    result: Score,
    now: dt.datetime,
) -> None:
    task_id = visit.recheck_of_task_id
    assert task_id is not None
    if task_id not in {t.id for t in rectification.pending_rechecks(session, visit.unit_path)}:
        return  # another re-check visit answered for the task first; this one stands alone
    # The item the task came from, when it came from a failed item of an earlier visit.
    item_code = session.scalar(
        select(InspectionResult.item_code).where(InspectionResult.task_id == task_id).limit(1)
    )
    passed = scorecard.recheck_passed(item_code, answers, result)
    rectification.link_recheck(
        session, actor, task_id, result_ref=f"inspection:{visit.id}", passed=passed, now=now
    )


def failed_item_to_task(
    session: Session,
    actor: audit.Actor,
    visit_id: int,
    item_code: str,
    now: dt.datetime,
    *,
    due_days: int = DEFAULT_TASK_DAYS,
    owner_id: int | None = None,
) -> int:
    """Make a failed item of a submitted visit a rectification task for the outlet (one step);
    returns the task id. Asked twice, it returns the task made the first time."""
    visit = load_visit(session, actor, visit_id)
    check_submitted(visit.state, visit.id)
    standard = standard_by_id(session, visit.standard_id)
    item = standard.item(item_code)
    row = results_of(session, visit.id).get(item_code)
    if item is None or row is None:
        raise InvalidInput("there is no item {code} in this checklist", "item", code=item_code)
    if row.outcome != Outcome.FAILED:
        raise Conflict(
            "item {code} did not fail: there is nothing to rectify", "item", code=item_code
        )
    if row.task_id is not None:
        return row.task_id
    outlet = session.get(Unit, visit.unit_id)
    assert outlet is not None
    detail = (
        f"{_kind_zh(visit.kind)} {visit.planned_on.isoformat()} {outlet.name_zh}：{item.text_zh}"
    )
    if row.note:
        detail += f"\n检查记录：{row.note}"
    task_id = rectification.open_task(
        session,
        actor,
        NewTask(
            source=Source.INSPECTION,
            source_ref=f"inspection:{visit.id}:{item.code}",
            title=f"整改：{item.text_zh}",
            detail=detail,
            unit_id=visit.unit_id,
            owner_id=owner_id,
            evidence_required="整改后的现场照片及说明" if item.photo_required else "整改说明",
            due_days=due_days,
            working_days=True,
        ),
        now=now,
    )
    row.task_id = task_id
    session.flush()
    audit_visit(session, actor, visit, "task", {"item": item.code, "task_id": task_id}, now)
    return task_id


def _kind_zh(kind: str) -> str:
    return {"scheduled": "巡查", "spot": "抽查", "mystery": "暗访", "remote": "远程督导"}.get(
        kind, kind
    )


def standard_of(session: Session, visit: InspectionVisit) -> Standard:
    return standard_by_id(session, visit.standard_id)
