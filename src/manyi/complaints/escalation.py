"""The deadline scan (督办): warn as time runs out, escalate overdue cases up the organisation.

`manyi worker` runs `scan` every minute. It reads only cases whose
`next_check_at` has come (an index keeps that cheap with a million open
cases), claims each one with a compare-and-set on that column, so two
workers never act on the same case, and then:

- at risk (the policy's thresholds, 50 % and 80 % by default) → notify the
  handler and the head of the responsible unit, at each level;
- overdue → a supervision record for the complaint managers of the parent
  unit, with a new due date; still overdue when that passes → the next
  level up, and so on to the head office;
- decided and not answered within the policy's days → closed.

A unique (case, period, level) constraint on supervisions is the second
guard: even a bug in the claim could not escalate a case twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi.complaints import clock, ports
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.domain.deadlines import DeadlineState, DeadlineStatus
from manyi.complaints.domain.model import (
    OPEN_STATES,
    SUPERVISION_DAYS,
    Action,
    State,
    escalation_unit,
)
from manyi.complaints.domain.policies import DeadlinePolicy
from manyi.complaints.domain.workcal import Calendars
from manyi.complaints.extensions import complaint_managers
from manyi.complaints.notices import staff_with_role, tell
from manyi.complaints.resolution import close_unanswered
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.complaints.timeline import record
from manyi.db import Database
from manyi.org.model import Role
from manyi.org.tables import Unit

LEASE = dt.timedelta(minutes=5)  # a worker that dies mid-case leaves it to the next scan
REMIND_EVERY = dt.timedelta(days=1)  # overdue at the head office: remind daily
WORKER = "deadline-scan"


@dataclass
class ScanReport:
    looked: int = 0
    warned: int = 0
    escalated: int = 0
    closed: int = 0
    lost: int = 0  # claimed by another worker first

    @property
    def done(self) -> int:
        return self.warned + self.escalated + self.closed


@dataclass
class Lookups:
    """What a scan asks again and again, read once per scan: policies and recipients by unit."""

    policies: dict[str, tuple[DeadlinePolicy, int]] = field(default_factory=dict)
    heads: dict[int, list[int]] = field(default_factory=dict)
    managers: dict[int, list[int]] = field(default_factory=dict)
    working_days: Calendars | None = None

    def calendars(self, session: Session) -> Calendars:
        if self.working_days is None:
            self.working_days = clock.calendars(session)
        return self.working_days

    def policy(self, session: Session, code: str) -> tuple[DeadlinePolicy, int]:
        if code not in self.policies:
            row = clock.policy_row(session, code)
            self.policies[code] = (clock.policy_of(row), row.close_after_days)
        return self.policies[code]

    def unit_heads(self, session: Session, unit_id: int) -> list[int]:
        if unit_id not in self.heads:
            self.heads[unit_id] = unit_heads(session, unit_id)
        return self.heads[unit_id]

    def complaint_managers(self, session: Session, unit_id: int) -> list[int]:
        if unit_id not in self.managers:
            self.managers[unit_id] = complaint_managers(session, unit_id)
        return self.managers[unit_id]


def scan(db: Database, now: dt.datetime, *, batch: int = 200) -> ScanReport:
    """One pass over every case due for a look: list a batch, then each case on its own.

    Each case is claimed, checked and committed in a transaction of its own, so the audit
    chain's head (locked by every audited write until its transaction ends) is held for one
    case, never for a whole batch: tellers and handlers do not wait for the scan. A worker that
    dies mid-case loses only that case's transaction; the case is still due for the next scan.
    """
    report = ScanReport()
    caller = system_caller(WORKER)
    lookups = Lookups()
    looked_at: set[int] = set()
    while True:
        with db.read() as session:
            due = session.scalars(
                select(Complaint.id)
                .where(Complaint.next_check_at <= now)
                .order_by(Complaint.next_check_at, Complaint.id)
                .limit(batch)
            ).all()
        fresh = [i for i in due if i not in looked_at]
        looked_at.update(fresh)
        for complaint_id in fresh:
            with db.session() as session:
                if not claim(session, [complaint_id], now):
                    report.lost += 1  # another worker took it, or it is no longer due
                    continue
                complaint = session.get_one(Complaint, complaint_id)
                # Changes are written once at commit, not before every query the checks make.
                with session.no_autoflush:
                    report.looked += 1
                    check(session, complaint, caller, now, report, lookups)
        if len(due) < batch or not fresh:  # each case at most once a pass
            return report


def claim(session: Session, complaint_ids: list[int], now: dt.datetime) -> list[int]:
    """Take the cases still due; a case another worker took meanwhile is not returned.

    Under PostgreSQL's row locks a second worker's UPDATE waits for the first
    to commit, then re-checks the condition and finds the case no longer due.
    """
    if not complaint_ids:
        return []
    claimed = session.scalars(
        update(Complaint)
        .where(Complaint.id.in_(complaint_ids), Complaint.next_check_at <= now)
        .values(next_check_at=now + LEASE)
        .returning(Complaint.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)


def check(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    now: dt.datetime,
    report: ScanReport,
    lookups: Lookups | None = None,
) -> None:
    lookups = lookups or Lookups()
    policy, close_after_days = lookups.policy(session, complaint.policy_code)
    state = State(complaint.state)
    if state is State.DECIDED:
        assert complaint.decided_at is not None
        if now >= complaint.decided_at + dt.timedelta(days=close_after_days):
            close_unanswered(session, complaint, caller, now)
            report.closed += 1
        else:
            remind = clock.answer_reminder_at(complaint.decided_at, close_after_days)
            if remind is not None and now >= remind:  # once: the message's dedupe key
                ports.tell_complainant(session, complaint, "needs_answer", now)
            clock.refresh(
                complaint,
                policy,
                now,
                lookups.calendars(session),
                close_after_days=close_after_days,
            )
        return
    if state not in OPEN_STATES:
        complaint.next_check_at = None
        return
    current = clock.refresh(
        complaint, policy, now, lookups.calendars(session), close_after_days=close_after_days
    )
    if current.state is DeadlineState.OVERDUE:
        complaint.next_check_at = escalate(
            session, complaint, caller, current, now, report, lookups
        )
        return
    level = min(current.risk_level, len(policy.at_risk))
    if level > complaint.risk_notified:
        warn(session, complaint, level, current, now, lookups)
        complaint.risk_notified = level
        report.warned += 1
        complaint.next_check_at = clock.next_check(
            complaint,
            policy,
            current,
            now,
            lookups.calendars(session),
            close_after_days=close_after_days,
        )


def warn(
    session: Session,
    complaint: Complaint,
    level: int,
    current: DeadlineStatus,
    now: dt.datetime,
    lookups: Lookups,
) -> None:
    # Each risk level (50 %, 80 % by default) warns the handler and the responsible unit's head.
    recipients = [complaint.handler_id] if complaint.handler_id is not None else []
    recipients += lookups.unit_heads(session, complaint.responsible_unit_id)
    key = (
        f"complaint:{complaint.id}:{complaint.reopen_count}:{complaint.deadline_stage}:risk{level}"
    )
    tell(
        session,
        complaint,
        recipients,
        "Complaint {reference} is at risk: due {due}",
        now,
        params={"due": _local(current.due_at, complaint.timezone)},
        dedupe=lambda staff_id: f"{key}:{staff_id}",
    )


def escalate(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    current: DeadlineStatus,
    now: dt.datetime,
    report: ScanReport,
    lookups: Lookups,
) -> dt.datetime:
    """Open the next supervision level when due; returns when to look at the case again."""
    latest = session.scalar(
        select(ComplaintSupervision).where(
            ComplaintSupervision.complaint_id == complaint.id,
            ComplaintSupervision.round == complaint.reopen_count,
            ComplaintSupervision.level == complaint.escalation_level,
        )
    )
    if latest is not None and latest.due_at > now:
        return latest.due_at
    level = complaint.escalation_level + 1
    unit_id = escalation_unit(complaint.responsible_unit_path, level)
    if unit_id is None:  # already supervised by the head office
        return now + REMIND_EVERY
    managers = lookups.complaint_managers(session, unit_id)
    supervision = ComplaintSupervision(
        complaint_id=complaint.id,
        round=complaint.reopen_count,
        level=level,
        unit_id=unit_id,
        supervisor_id=managers[0] if managers else None,
        instructions="",
        due_at=now + dt.timedelta(days=SUPERVISION_DAYS),
        created_at=now,
        state="open",
    )
    try:
        with session.begin_nested():
            session.add(supervision)
    except IntegrityError:  # another worker got here first, despite the claim
        return now + LEASE
    complaint.escalation_level = level
    report.escalated += 1
    unit = session.get(Unit, unit_id)
    record(
        session,
        complaint,
        caller,
        Action.SUPERVISE,
        now,
        from_state=complaint.state,
        data={
            "level": level,
            "unit_id": unit_id,
            "unit": unit.code if unit else "",
            "due_at": supervision.due_at.isoformat(),
        },
    )
    key = f"complaint:{complaint.id}:{complaint.reopen_count}:supervise{level}"
    handler = [complaint.handler_id] if complaint.handler_id else []
    tell(
        session,
        complaint,
        [*managers, *handler],
        "Complaint {reference} is overdue and under supervision (level {level})",
        now,
        params={"level": level},
        dedupe=lambda staff_id: f"{key}:{staff_id}",
    )
    return supervision.due_at


def unit_heads(session: Session, unit_id: int) -> list[int]:
    """The head of the unit, or its complaint managers when it has none."""
    return staff_with_role(session, unit_id, Role.BRANCH_HEAD) or complaint_managers(
        session, unit_id
    )


def _local(at: dt.datetime, tz: str) -> str:
    return at.astimezone(clock.zone(tz)).strftime("%Y-%m-%d %H:%M")
