"""The demo bank's two years of complaint history in the database (`domain.demo_history` tells
the story), and the rectification tasks the story turns on.

The cases are marked `source = "demo-history"` with external ids `H00001`, … so they never mix
with a bank's imports, and are written in bulk (a few statements, no object or audit event per
case): each gets its register, decide and close entries on the timeline, written in bulk too.
The complainant's personal columns stay empty: the history is about what went wrong, not who
complained. The values on every axis are staff's (no classifier suggestion is recorded for
them), so the classifier trains on them as confirmed cases.

The story's tasks go through supervision's own use cases, opened, worked and closed at their
dates in the past, with a reference carrying `issue:<code>` (the prominent-issue tracker counts
a task against the category its reference names). Seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.bulk import insert_returning
from manyi.complaints import categories as complaint_categories
from manyi.complaints.domain.model import Action, CloseReason, ReplyChannel, State
from manyi.complaints.domain.taxonomy import OTHER, Axis, Flag, department_for
from manyi.complaints.tables import Complaint, ComplaintEvent, ComplaintPolicy
from manyi.demo import UNITS
from manyi.insight.domain.demo_history import ZONE, HistoricCase, Outlet, plan
from manyi.insight.domain.demo_story import DECISIONS, ROOT_CAUSES, STORY_TASKS, StoryTask
from manyi.org.model import UnitLevel
from manyi.org.tables import Staff, Unit
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import NewTask, Source

SOURCE = "demo-history"
FALLBACK_POLICY = "cbirc-2020"  # complaints' default preset, when no policy is stored yet
ACTOR_NAME = "demo-history"
BATCH = 1000
# Short outlet names the texts use (中关村网点 …); an outlet not listed uses its own name.
SHORT_NAMES = {
    "BJ-HD-ZGC": "中关村",
    "BJ-HD-WDK": "五道口",
    "BJ-CY-WJ": "望京",
    "SH-PD-LJZ": "陆家嘴",
    "SH-XH-XJH": "徐家汇",
}
# Who handled each outlet's cases (the outlet's handler, else the branch's).
HANDLERS = {
    "BJ-HD-ZGC": "zgc.handler",
    "BJ-HD-WDK": "bj.handler",
    "BJ-CY-WJ": "bj.handler",
    "SH-PD-LJZ": "ljz.handler",
    "SH-XH-XJH": "sh.complaints",
}
_REPLY = {
    "hotline": ReplyChannel.PHONE,
    "counter": ReplyChannel.IN_PERSON,
    "letter": ReplyChannel.LETTER,
    "email": ReplyChannel.EMAIL,
    "web": ReplyChannel.ONLINE,
}


@dataclass(frozen=True)
class Seeded:
    cases: int
    tasks: int


def external_id(number: int) -> str:
    return f"H{number:05d}"


def task_ref(task: StoryTask) -> str:
    return f"issue:{task.issue} {SOURCE}"


def seed(session: Session, now: dt.datetime, var_dir: Path) -> Seeded:
    """The history and the story's tasks, whichever is missing."""
    return Seeded(cases=seed_cases(session, now), tasks=seed_tasks(session, now, var_dir))


def outlets_of(units: dict[str, Unit]) -> list[Outlet]:
    """The demo's outlets found among `units` (by code), weighted by customers served."""
    parents = {u.code: u.parent for u in UNITS}
    found = [u for u in UNITS if u.level is UnitLevel.OUTLET and u.code in units]
    if not found:
        return []
    mean = sum(max(u.customers, 1) for u in found) / len(found)
    outlets = []
    for u in found:
        ancestors, code = [], u.code
        while parents.get(code):
            code = parents[code]
            ancestors.append(code)
        name = SHORT_NAMES.get(u.code, u.name_zh)
        outlets.append(Outlet(u.code, name, max(u.customers, 1) / mean, tuple(ancestors)))
    return outlets


def seed_cases(session: Session, now: dt.datetime) -> int:
    """Write the history unless some of it is there; returns how many cases were added."""
    if session.scalar(select(Complaint.id).where(Complaint.source == SOURCE).limit(1)):
        return 0
    codes = [u.code for u in UNITS]
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    outlets = outlets_of(units)
    if not outlets:
        return 0
    names = set(HANDLERS.values())
    handlers = {
        name: id_
        for name, id_ in session.execute(
            select(Staff.username, Staff.id).where(Staff.username.in_(names))
        )
    }
    policy = session.scalar(select(ComplaintPolicy.code).where(ComplaintPolicy.is_default))
    active = _active(session)
    cases = [_valid(c, active) for c in plan(now, outlets)]
    conn = session.connection()
    table: Any = Complaint.__table__
    events_table: Any = ComplaintEvent.__table__
    numbered = list(enumerate(cases, start=1))
    for start in range(0, len(numbered), BATCH):
        batch = numbered[start : start + BATCH]
        rows = [
            _row(n, c, units[c.outlet], handlers.get(HANDLERS.get(c.outlet, "")), policy, now)
            for n, c in batch
        ]
        stored = insert_returning(conn, table, rows, returning=("id", "external_id"))
        ids = {ext: id_ for id_, ext in stored}
        events = [
            e
            for (n, c), row in zip(batch, rows, strict=True)
            for e in _events(ids[external_id(n)], c, row)
        ]
        insert_returning(conn, events_table, events, returning=("id",))
    return len(cases)


def _active(session: Session) -> dict[str, set[str]]:
    """The active codes on each axis (the seed stored first, as registering a case does)."""
    active: dict[str, set[str]] = {axis.value: set() for axis in Axis}
    if complaint_categories.ensure_seed(session):
        for axis in Axis:
            active[axis.value] = {c.code for c in complaint_categories.categories(session, axis)}
    return active


def _valid(case: HistoricCase, active: dict[str, set[str]]) -> HistoricCase:
    """The case with a code the bank switched off replaced by its parent, else by "other"."""

    def fix(axis: Axis, code: str) -> str:
        codes = active[axis.value]
        if code in codes or not codes:
            return code
        parent = code.split(".", 1)[0]
        return parent if parent in codes else OTHER

    fixed = replace(
        case,
        channel=fix(Axis.CHANNEL, case.channel),
        business=fix(Axis.BUSINESS, case.business),
        cause=fix(Axis.CAUSE, case.cause),
        appeal=fix(Axis.APPEAL, case.appeal),
    )
    return case if fixed == case else fixed


def _row(
    number: int,
    case: HistoricCase,
    unit: Unit,
    handler_id: int | None,
    policy: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    local = case.received_at.astimezone(ZONE)
    flags = []
    if case.intake == "regulator":
        flags.append(Flag.REGULATOR.value)
    if case.intake in ("social_media", "media"):
        flags.append(Flag.MEDIA_RISK.value)
    clock_started = case.received_at
    if case.reopen_count:  # reopened half-way between the decision and the close
        clock_started = case.decided_at + (case.closed_at - case.decided_at) / 2
    return {
        "reference": f"TS{local:%Y%m%d}{external_id(number)}",
        "query_code_hash": None,
        "source": SOURCE,
        "external_id": external_id(number),
        "intake": case.intake,
        "intake_ref": case.intake_ref,
        "channel_code": case.channel,
        "business_code": case.business,
        "cause_code": case.cause,
        "appeal_code": case.appeal,
        "issue_code": case.issue,
        "department": department_for(case.business),
        "flags": flags,
        "subject": case.subject,
        "description": case.description,
        "request": case.request,
        "product": case.product,
        "complainant_name": "",
        "complainant_phone": "",
        "complainant_id_number": "",
        "complainant_email": "",
        "complainant_address": "",
        "person_key": None,
        "registered_unit_id": unit.id,
        "responsible_unit_id": unit.id,
        "responsible_unit_path": unit.path,
        "handler_id": handler_id,
        "registered_by_id": None,
        "received_at": case.received_at,
        "registered_at": case.received_at + dt.timedelta(minutes=7),
        "regulator_ref": case.regulator_ref,
        "regulator_received_on": local.date() if case.regulator_ref else None,
        "state": State.CLOSED.value,
        "policy_code": policy or FALLBACK_POLICY,
        "timezone": unit.timezone or "Asia/Shanghai",
        "deadline_stage": 0,
        "clock_started_at": clock_started,
        "due_at": case.due_at,
        "next_check_at": None,
        "risk_notified": 0,
        "escalation_level": 1 if case.breached else 0,
        "breached": case.breached,
        "overdue_since": case.due_at if case.breached else None,
        "reopen_count": case.reopen_count,
        "decision": DECISIONS[case.verdict],
        "reply_channel": _REPLY.get(case.intake, ReplyChannel.PHONE).value,
        "decided_at": case.decided_at,
        "root_cause": ROOT_CAUSES[case.root],
        "verdict": case.verdict,
        "root_cause_kind": case.root,
        "rectification_ref": "",
        "closed_at": case.closed_at,
        "close_reason": CloseReason.ACCEPTED.value,
        "updated_at": min(case.closed_at, now),
    }


def _event(
    complaint_id: int,
    at: dt.datetime,
    action: Action,
    states: tuple[str | None, str],
    data: dict[str, Any],
    note: str = "",
) -> dict[str, Any]:
    return {
        "complaint_id": complaint_id,
        "at": at,
        "actor_id": None,
        "actor_name": ACTOR_NAME,
        "action": action.value,
        "from_state": states[0],
        "to_state": states[1],
        "note": note,
        "data": data,
        "public": action in (Action.REGISTER, Action.DECIDE, Action.CLOSE),
    }


def _events(complaint_id: int, case: HistoricCase, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's timeline as the use cases would have written it: registered, decided (again
    after a reopening) and closed."""
    decided, closed = State.DECIDED.value, State.CLOSED.value
    investigating = State.INVESTIGATING.value
    decision = {
        "reply_channel": row["reply_channel"],
        "on_time": not case.breached,
        "verdict": case.verdict,
        "root_cause_kind": case.root,
    }
    registered = {"intake": case.intake, "flags": row["flags"]}
    events = [
        _event(complaint_id, case.received_at, Action.REGISTER, (None, "registered"), registered),
        _event(
            complaint_id, case.decided_at, Action.DECIDE, (investigating, decided), decision,
            row["decision"],
        ),
    ]  # fmt: skip
    if case.reopen_count:
        middle = case.decided_at + (case.closed_at - case.decided_at) / 2
        again = middle + (case.closed_at - middle) / 2
        note = "客户对答复不满意，重新办理。"
        events += [
            _event(complaint_id, middle, Action.REOPEN, (decided, investigating), {}, note),
            _event(
                complaint_id, again, Action.DECIDE, (investigating, decided), decision,
                row["decision"],
            ),
        ]  # fmt: skip
    reason = {"reason": row["close_reason"]}
    events.append(_event(complaint_id, case.closed_at, Action.CLOSE, (decided, closed), reason))
    return events


# --- The story's rectification tasks ---------------------------------------------------------


def _actor(session: Session, username: str) -> audit.Actor | None:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        return None
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def evidence_png() -> bytes:
    """A small grey PNG: the demo's photo of the rectified premises."""
    width, height = 32, 24
    raw = (b"\x00" + b"\x9a\x9a\x9a" * width) * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def seed_tasks(session: Session, now: dt.datetime, var_dir: Path) -> int:
    """Open, work and close the story's tasks at their dates (once); returns how many."""
    if rectification.tasks_mentioning(session, SOURCE, now=now):
        return 0
    added = 0
    for task in STORY_TASKS:
        unit = session.scalar(select(Unit).where(Unit.code == task.unit))
        issuer = _actor(session, task.issuer)
        owner = _actor(session, task.owner)
        if unit is None or issuer is None or owner is None:
            continue  # a demo bank without that unit or person
        opened = now - dt.timedelta(days=task.opened_days_ago)
        closed = now - dt.timedelta(days=task.closed_days_ago)
        new = NewTask(
            source=Source.ISSUE,
            source_ref=task_ref(task),
            title=task.title,
            detail=task.detail,
            unit_id=unit.id,
            owner_id=owner.id,
            evidence_required="整改方案、培训记录及整改后的现场照片",
            due_on=closed.astimezone(ZONE).date(),
        )
        task_id = rectification.open_task(session, issuer, new, now=opened)
        span = closed - opened
        rectification.start(session, owner, task_id, now=opened + span * 0.1)
        rectification.submit(
            session,
            owner,
            task_id,
            note="已按方案完成整改，附整改记录及现场照片。",
            files=[rectification.Upload("整改后现场.png", evidence_png())],
            var_dir=var_dir,
            now=opened + span * 0.8,
        )
        rectification.verify(session, issuer, task_id, now=opened + span * 0.9)
        rectification.close(session, issuer, task_id, now=closed)
        added += 1
    return added
