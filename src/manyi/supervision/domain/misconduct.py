"""Misconduct with zero tolerance (恶性服务事件 and lesser breaches): the rules, as data.

Pure: no database, no web, no clock (`today` is an argument).

A case moves through

    reported → investigating → findings recorded → sanctions decided → finalised

or is dismissed (撤销) before its sanctions are decided. Its severity comes from the bank's list
(`SEVERITIES`); the severity sets how many working days the investigation may take, counted on
the Chinese working-day calendar (a case reported on a Friday before the National Day week with
five days has its deadline in the week after the holiday, not on the Wednesday of the holiday).
Sanctions come from a catalogue (`SANCTIONS`); removing a service star is one of them, and the
stars part asks for it through `misconduct_queries.sanctions_removing_star`.

Accountability one level up (问责): for a severe case (恶性 or 严重) the head of the staff member's
own unit (the outlet head) and the responsible manager of the unit above are recorded as
accountable parties. A unit without a head passes the duty to the nearest unit above that has
one; a staff member who is the head of their own unit is not their own accountable party.

The bulletin (通报) a finalised case may be published as: bulletins.py.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from manyi.errors import Conflict, InvalidInput
from manyi.workdays.domain.calendar import WorkCalendar, add_workdays

# --- severity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Severity:
    code: str
    name_zh: str  # the bank's word, used in bulletins
    label: str  # English message id, translated on pages
    severe: bool  # accountability one level up applies
    investigation_days: int  # working days from the report to the findings
    rank: int  # 0 = gravest


SEVERITIES: tuple[Severity, ...] = (
    Severity("malignant", "恶性服务事件", "Malignant service incident", True, 5, 0),
    Severity("serious", "严重违规", "Serious breach", True, 10, 1),
    Severity("general", "一般违规", "General breach", False, 15, 2),
    Severity("minor", "轻微违规", "Minor breach", False, 20, 3),
)
_SEVERITY = {s.code: s for s in SEVERITIES}


def severity_of(code: str) -> Severity:
    """The severity called `code`; an unknown one is refused with the list of known codes."""
    found = _SEVERITY.get((code or "").strip())
    if found is None:
        raise InvalidInput(
            "unknown severity {code} (use one of {known})",
            "severity",
            code=code,
            known=", ".join(_SEVERITY),
        )
    return found


# --- states and steps -----------------------------------------------------------------------


class CaseState(enum.StrEnum):
    REPORTED = "reported"  # 已报告
    INVESTIGATING = "investigating"  # 调查中
    FINDINGS = "findings"  # 已认定
    SANCTIONED = "sanctioned"  # 已决定处理
    FINALISED = "finalised"  # 已办结
    DISMISSED = "dismissed"  # 已撤销


class Step(enum.StrEnum):
    INVESTIGATE = "investigate"
    RECORD_FINDINGS = "findings"
    DECIDE_SANCTIONS = "sanctions"
    FINALISE = "finalise"
    DISMISS = "dismiss"


_STEPS: dict[Step, tuple[frozenset[CaseState], CaseState]] = {
    Step.INVESTIGATE: (frozenset({CaseState.REPORTED}), CaseState.INVESTIGATING),
    Step.RECORD_FINDINGS: (frozenset({CaseState.INVESTIGATING}), CaseState.FINDINGS),
    Step.DECIDE_SANCTIONS: (frozenset({CaseState.FINDINGS}), CaseState.SANCTIONED),
    Step.FINALISE: (frozenset({CaseState.SANCTIONED}), CaseState.FINALISED),
    Step.DISMISS: (
        frozenset({CaseState.REPORTED, CaseState.INVESTIGATING, CaseState.FINDINGS}),
        CaseState.DISMISSED,
    ),
}
OPEN_STATES = frozenset(
    {CaseState.REPORTED, CaseState.INVESTIGATING, CaseState.FINDINGS, CaseState.SANCTIONED}
)
# While the investigation runs its deadline counts; after the findings it is met.
INVESTIGATION_STATES = frozenset({CaseState.REPORTED, CaseState.INVESTIGATING})


def after(state: CaseState | str, step: Step | str) -> CaseState:
    """The state a case in `state` reaches by `step`; a step out of order is a conflict."""
    sources, target = _STEPS[Step(step)]
    if CaseState(state) not in sources:
        raise Conflict(
            "a case that is {state} cannot take the step {step}",
            "state",
            error_code="wrong_state",
            state=str(state),
            step=str(step),
        )
    return target


def next_step(state: CaseState | str) -> Step | None:
    """The step that carries a case forward (None once it is finalised or dismissed)."""
    for step, (sources, _target) in _STEPS.items():
        if step is not Step.DISMISS and CaseState(state) in sources:
            return step
    return None


# --- where a case comes from ----------------------------------------------------------------


class Origin(enum.StrEnum):
    COMPLAINT = "complaint"  # a complaint's reference
    INSPECTION = "inspection"  # an inspection finding: visit id and item code
    SURVEY = "survey"  # a survey or rating flag
    REPORT = "report"  # a report (a colleague, a customer's call, the media)


REF_MAX = 120


def origin_ref(origin: str, ref: str, item: str = "") -> str:
    """The stored reference of a case's origin, checked: a complaint's reference, an inspection
    finding as "<visit id>:<item code>", a survey flag or who reported."""
    try:
        kind = Origin((origin or "").strip())
    except ValueError:
        raise InvalidInput(
            "unknown origin {origin} (use one of {known})",
            "origin",
            origin=origin,
            known=", ".join(o.value for o in Origin),
        ) from None
    ref, item = (ref or "").strip(), (item or "").strip()
    if kind is Origin.INSPECTION:
        if not ref.isdigit() or not item:
            raise InvalidInput(
                "an inspection finding needs the visit number and the item code", "origin_ref"
            )
        ref = f"{int(ref)}:{item}"
    elif not ref and kind is not Origin.REPORT:
        raise InvalidInput("say which {origin} the case comes from", "origin_ref", origin=kind)
    if len(ref) > REF_MAX:
        raise InvalidInput("the origin is longer than {max} characters", "origin_ref", max=REF_MAX)
    return ref


# --- the investigation's deadline -----------------------------------------------------------


class DeadlineStatus(enum.StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"  # due within AT_RISK_WORKDAYS working days
    OVERDUE = "overdue"
    MET = "met"  # the findings are in (or the case ended)


AT_RISK_WORKDAYS = 2


def investigation_due(reported_on: dt.date, severity: Severity, calendar: WorkCalendar) -> dt.date:
    """The last day for the findings: `investigation_days` working days after the report's
    (local) day, the report's day not counted."""
    return add_workdays(calendar, reported_on, severity.investigation_days)


def deadline_status(
    state: CaseState | str, due_on: dt.date, today: dt.date, calendar: WorkCalendar
) -> DeadlineStatus:
    """On time, at risk or overdue, from the local `today` (computed, never stored)."""
    if CaseState(state) not in INVESTIGATION_STATES:
        return DeadlineStatus.MET
    if today > due_on:
        return DeadlineStatus.OVERDUE
    if due_on <= add_workdays(calendar, today, AT_RISK_WORKDAYS):
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.ON_TIME


class DeadlineNotice(enum.StrEnum):
    """What the worker's deadline watch sends, once per case each."""

    AT_RISK = "at_risk"  # the investigator is warned
    OVERDUE = "overdue"  # the responsible managers (and the investigator) are told


def at_risk_from(due_on: dt.date, calendar: WorkCalendar) -> dt.date:
    """The first day on which a case due on `due_on` is at risk, i.e. the earliest day whose
    `AT_RISK_WORKDAYS` working days reach the due day. Due on Friday 11 December 2026, it is
    at risk from Wednesday 9 December; due on Thursday 8 October, the day after the National
    Day week, from Tuesday 29 September (1–7 October are no working days)."""
    day = due_on
    while add_workdays(calendar, day - dt.timedelta(days=1), AT_RISK_WORKDAYS) >= due_on:
        day -= dt.timedelta(days=1)
    return day


def deadline_notice(
    state: CaseState | str, due_on: dt.date, today: dt.date, calendar: WorkCalendar
) -> DeadlineNotice | None:
    """The notice the deadline calls for on the local `today`, if any."""
    status = deadline_status(state, due_on, today, calendar)
    if status is DeadlineStatus.OVERDUE:
        return DeadlineNotice.OVERDUE
    if status is DeadlineStatus.AT_RISK:
        return DeadlineNotice.AT_RISK
    return None


def next_deadline_look(
    state: CaseState | str,
    due_on: dt.date,
    today: dt.date,
    calendar: WorkCalendar,
    sent: Iterable[DeadlineNotice | str],
) -> dt.date | None:
    """The local day the watch should look at the case again: the first at-risk day, then the
    day after the due day; None once the findings are in or the overdue notice went out."""
    done = {DeadlineNotice(s) for s in sent}
    if CaseState(state) not in INVESTIGATION_STATES or DeadlineNotice.OVERDUE in done:
        return None
    warn_on = at_risk_from(due_on, calendar)
    if DeadlineNotice.AT_RISK not in done and today < warn_on:
        return warn_on
    return max(today, due_on + dt.timedelta(days=1))


# --- sanctions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sanction:
    code: str
    name_zh: str
    label: str  # English message id
    removes_star: bool  # the staff member leaves the service-star list (取消服务明星资格)


SANCTIONS: tuple[Sanction, ...] = (
    Sanction("talk", "谈话提醒", "Reminder talk", False),
    Sanction("criticism", "通报批评", "Circulated criticism", False),
    Sanction("warning", "警告", "Warning", False),
    Sanction("demerit", "记过", "Demerit", False),
    Sanction("star_removal", "取消服务明星资格", "Removal from the service-star list", True),
    Sanction("reassignment", "调离岗位", "Reassignment away from the counter", False),
    Sanction("dismissal", "解除劳动合同", "Termination of the employment contract", True),
)
_SANCTION = {s.code: s for s in SANCTIONS}


def sanctions_of(codes: Iterable[str]) -> tuple[Sanction, ...]:
    """The sanctions named by `codes`, in catalogue order, each once; at least one, all known."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    if not wanted:
        raise InvalidInput("choose at least one sanction", "sanctions")
    unknown = sorted(wanted - set(_SANCTION))
    if unknown:
        raise InvalidInput(
            "{code} is not in the sanctions catalogue", "sanctions", code=", ".join(unknown)
        )
    return tuple(s for s in SANCTIONS if s.code in wanted)


def sanction_of(code: str) -> Sanction | None:
    return _SANCTION.get(code)


# --- accountability one level up ------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    staff_id: int
    name: str


@dataclass(frozen=True)
class UnitHeads:
    """A unit on the way up from the staff member's unit, with its heads (负责人)."""

    unit_id: int
    unit_name: str
    heads: tuple[Head, ...]


class Accountable(enum.StrEnum):
    UNIT_HEAD = "unit_head"  # the outlet head (网点负责人)
    PARENT_MANAGER = "parent_manager"  # the responsible manager one level up (上级机构负责人)


@dataclass(frozen=True)
class Party:
    role: Accountable
    staff_id: int
    name: str
    unit_id: int
    unit_name: str


def accountable_parties(
    severity: Severity, staff_id: int, chain: Sequence[UnitHeads]
) -> tuple[Party, ...]:
    """Who answers for a severe case besides the staff member: the heads of the first unit on
    `chain` (the staff member's own unit first, then each unit above) that has a head other
    than the staff member, then the heads of the next unit above that has one. Nothing for a
    case that is not severe; fewer parties where the organisation has no head to name."""
    if not severity.severe:
        return ()
    parties: list[Party] = []
    roles = iter((Accountable.UNIT_HEAD, Accountable.PARENT_MANAGER))
    role = next(roles)
    for unit in chain:
        heads = [h for h in unit.heads if h.staff_id != staff_id]
        if not heads:
            continue
        parties += [Party(role, h.staff_id, h.name, unit.unit_id, unit.unit_name) for h in heads]
        next_role = next(roles, None)
        if next_role is None:
            break
        role = next_role
    return tuple(parties)
