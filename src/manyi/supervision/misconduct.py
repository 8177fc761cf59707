"""Misconduct cases, step by step: open, investigate, record findings, decide sanctions (with
the accountable parties one level up), finalise or dismiss, and open a rectification task.

Confidential: a case exists only for a staff member with `supervision.misconduct` whose scope
holds the unit of the staff member concerned; for anyone else `case_in_scope` answers NotFound,
never Forbidden, so a refusal does not say that a case exists. Routes check the permission;
these functions check the scope. Each step is checked in full before anything is written, and
recorded in the audit chain (without the notes or findings, which stay in the case, sealed).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit, notify
from manyi.errors import InvalidInput, NotFound
from manyi.org.model import Role, path_in_scope
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.supervision import misconduct_sources
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import CaseState, Step
from manyi.supervision.misconduct_tables import MisconductCase, MisconductParty, MisconductSanction
from manyi.workdays.calendars import bank_calendar
from manyi.workdays.domain import WorkCalendar


def working_days(session: Session) -> WorkCalendar:
    """The bank's calendar (holidays head office entered over the package's): investigation
    deadlines count working days."""
    return bank_calendar(session)


TEXT_MAX = 2000
ENTITY = "misconduct_case"


def local_today(now: dt.datetime, timezone: str = "Asia/Shanghai") -> dt.date:
    """The bank's day at `now` (a report at 23:30 UTC is the next morning in Beijing)."""
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def _text(value: str, field: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput("this field is required", field)
    if len(value) > TEXT_MAX:
        raise InvalidInput("the text is longer than {max} characters", field, max=TEXT_MAX)
    return value


def deadline_look_at(
    case: MisconductCase,
    today: dt.date,
    timezone: str,
    calendar: WorkCalendar,
    sent: Iterable[rules.DeadlineNotice | str] = (),
) -> dt.datetime | None:
    """When the worker's deadline watch looks at the case next: local midnight of the day
    `domain.next_deadline_look` names, in the unit's time zone; None when nothing is left."""
    day = rules.next_deadline_look(case.state, case.investigation_due_on, today, calendar, sent)
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone)).astimezone(
        dt.UTC
    )


def case_in_scope(session: Session, scope_path: str, case_id: int) -> MisconductCase:
    """The case, if the viewer's scope holds it; NotFound otherwise (existence not revealed)."""
    case = session.get(MisconductCase, case_id)
    if case is None or not path_in_scope(scope_path, case.unit_path):
        raise NotFound("no misconduct case {id}", "case", id=case_id)
    return case


def record_step(
    session: Session,
    actor: audit.Actor,
    case: MisconductCase,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=case.id,
        action=f"misconduct.{action}",
        summary={"state": case.state, "severity": case.severity, **summary},
        unit_id=case.unit_id,
        unit_path=case.unit_path,
        now=now,
    )


# --- opening ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    origin: str  # domain.Origin: complaint, inspection, survey, report
    origin_ref: str  # complaint reference, visit id, survey flag, who reported
    severity: str  # domain.SEVERITIES code
    staff_id: int  # the staff member concerned (in the opener's scope)
    happened_on: dt.date
    summary: str  # what happened
    item: str = ""  # the checklist item code, for an inspection finding


def open_case(session: Session, actor: audit.Actor, new: NewCase, *, now: dt.datetime) -> int:
    """Open a case on a staff member in the actor's scope; returns its id."""
    origin_ref = rules.origin_ref(new.origin, new.origin_ref, new.item)
    # A complaint or an inspection finding must exist, in the opener's scope.
    misconduct_sources.check_origin(session, actor, new.origin, new.origin_ref, new.item)
    severity = rules.severity_of(new.severity)
    summary = _text(new.summary, "summary")
    staff = session.get(Staff, new.staff_id) if new.staff_id else None
    if staff is None or not path_in_scope(actor.unit_path, staff.unit.path):
        raise NotFound("no staff member {id} in your scope", "staff_id", id=new.staff_id)
    today = local_today(now, staff.unit.timezone)
    if new.happened_on > today:
        raise InvalidInput("the day it happened cannot be in the future", "happened_on")
    case = MisconductCase(
        origin=new.origin.strip(),
        origin_ref=origin_ref,
        severity=severity.code,
        state=CaseState.REPORTED.value,
        staff_id=staff.id,
        unit_id=staff.unit_id,
        unit_path=staff.unit.path,
        happened_on=new.happened_on,
        summary=summary,
        investigation_due_on=rules.investigation_due(today, severity, working_days(session)),
        notes="",
        findings="",
        decision_note="",
        dismissal_reason="",
        opened_at=now,
        opened_by_id=actor.id,
    )
    case.deadline_check_at = deadline_look_at(
        case, today, staff.unit.timezone, working_days(session)
    )
    session.add(case)
    session.flush()
    record_step(
        session,
        actor,
        case,
        "opened",
        now,
        origin=case.origin,
        origin_ref=origin_ref,
        staff=staff.id,
        due_on=case.investigation_due_on.isoformat(),
    )
    return case.id


# --- the steps -------------------------------------------------------------------------------


def _step(case: MisconductCase, step: Step) -> None:
    case.state = rules.after(case.state, step).value


def start_investigation(
    session: Session, actor: audit.Actor, case_id: int, *, notes: str = "", now: dt.datetime
) -> None:
    """The actor takes the investigation (调查); its deadline was set when the case opened."""
    case = case_in_scope(session, actor.unit_path, case_id)
    text = _text(notes, "notes", required=False)
    _step(case, Step.INVESTIGATE)
    case.investigator_id = actor.id
    case.investigating_at = now
    if text:
        case.notes = text
    record_step(session, actor, case, "investigating", now)


def record_findings(
    session: Session,
    actor: audit.Actor,
    case_id: int,
    *,
    findings: str,
    notes: str = "",
    now: dt.datetime,
) -> None:
    """The findings (认定): what the investigation established."""
    case = case_in_scope(session, actor.unit_path, case_id)
    text = _text(findings, "findings")
    extra = _text(notes, "notes", required=False)
    _step(case, Step.RECORD_FINDINGS)
    case.findings = text
    if extra:
        case.notes = (case.notes + "\n" + extra).strip() if case.notes else extra
    case.findings_at = now
    case.deadline_check_at = None  # the deadline is met: nothing left to watch
    today = local_today(now)
    record_step(session, actor, case, "findings", now, late=today > case.investigation_due_on)


def heads_chain(session: Session, unit_path: str) -> list[rules.UnitHeads]:
    """The staff member's unit and each unit above it, nearest first, with their active heads."""
    ids = [int(part) for part in unit_path.split("/") if part]
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    heads: dict[int, list[rules.Head]] = {i: [] for i in ids}
    rows = session.execute(
        select(Staff.id, Staff.display_name, Staff.unit_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.unit_id.in_(ids), Staff.active.is_(True), StaffRole.role == Role.BRANCH_HEAD)
        .order_by(Staff.id)
    )
    for staff_id, name, unit_id in rows:
        heads[unit_id].append(rules.Head(staff_id, name))
    return [
        rules.UnitHeads(i, units[i].name_zh, tuple(heads[i])) for i in reversed(ids) if i in units
    ]


def decide_sanctions(
    session: Session,
    actor: audit.Actor,
    case_id: int,
    codes: list[str],
    *,
    note: str = "",
    now: dt.datetime,
) -> tuple[rules.Party, ...]:
    """Sanctions from the catalogue and, for a severe case, the accountable parties one level
    up, recorded together; returns the parties."""
    case = case_in_scope(session, actor.unit_path, case_id)
    chosen = rules.sanctions_of(codes)
    text = _text(note, "note", required=False)
    rules.after(case.state, Step.DECIDE_SANCTIONS)  # refuse a step out of order before writing
    severity = rules.severity_of(case.severity)
    parties = rules.accountable_parties(
        severity, case.staff_id, heads_chain(session, case.unit_path)
    )
    _step(case, Step.DECIDE_SANCTIONS)
    case.decision_note = text
    case.sanctioned_at = now
    for sanction in chosen:
        session.add(
            MisconductSanction(
                case_id=case.id,
                staff_id=case.staff_id,
                code=sanction.code,
                removes_star=sanction.removes_star,
            )
        )
    for party in parties:
        session.add(
            MisconductParty(
                case_id=case.id,
                role=party.role.value,
                staff_id=party.staff_id,
                name=party.name,
                unit_id=party.unit_id,
                unit_name=party.unit_name,
            )
        )
    record_step(
        session,
        actor,
        case,
        "sanctions",
        now,
        sanctions=[s.code for s in chosen],
        accountable=[{"role": p.role.value, "staff": p.staff_id} for p in parties],
    )
    return parties


DECISION_SUBJECT = "A decision on a misconduct case concerns you"
# The bank's words, as the inbox shows a body (not translated).
DECISION_BODY = "对你的违规行为处理决定已生效，请在“我的处理决定”（/my/sanctions）查看。"


def finalise(session: Session, actor: audit.Actor, case_id: int, *, now: dt.datetime) -> None:
    """The case ends (办结): its sanctions take effect today, and the staff member is told
    (their inbox points to "My sanctions")."""
    case = case_in_scope(session, actor.unit_path, case_id)
    _step(case, Step.FINALISE)
    case.finalised_at = now
    today = local_today(now)
    sanctions = session.scalars(
        select(MisconductSanction).where(MisconductSanction.case_id == case.id)
    ).all()
    for sanction in sanctions:
        sanction.effective_on = today
    staff = session.get(Staff, case.staff_id)
    if staff is not None and staff.active:
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff.id,
            subject=DECISION_SUBJECT,
            body=DECISION_BODY,
            now=now,
            unit_id=case.unit_id,
            data={"kind": "misconduct.decision", "case": case.id},
            created_by_id=actor.id,
            dedupe_key=f"misconduct.decision:{case.id}",
        )
    record_step(session, actor, case, "finalised", now, effective_on=today.isoformat())


def dismiss(
    session: Session, actor: audit.Actor, case_id: int, *, reason: str, now: dt.datetime
) -> None:
    """No misconduct after all (撤销): the reason is kept, nothing is sanctioned."""
    case = case_in_scope(session, actor.unit_path, case_id)
    text = _text(reason, "reason")
    _step(case, Step.DISMISS)
    case.dismissal_reason = text
    case.dismissed_at = now
    case.deadline_check_at = None
    record_step(session, actor, case, "dismissed", now)
