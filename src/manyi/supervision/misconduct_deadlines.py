"""The worker's watch over misconduct investigations (`misconduct-deadlines`): when a case's
investigation deadline is near (the domain's *at risk*: due within two working days) its
investigator is warned; when it is overdue (the findings not in by the due day) the responsible
managers are told, and the investigator with them. Each notice once per case.

Who hears:
- *at risk*: the investigator; while nobody has taken the investigation, whoever opened the case;
- *overdue*: the same person, and the staff holding `supervision.misconduct` (administrators
  aside) at the case's unit and one level up; where neither unit has any, the nearest unit
  above that has. The staff member concerned never hears of their own case from here.

Two workers never send a notice twice: a case is claimed by a compare-and-set on
`deadline_check_at` (a filtered UPDATE; under PostgreSQL's row locks the second worker's UPDATE
waits for the first to commit, re-checks the condition and finds the case no longer due), and a
unique (case, step) row in `misconduct_deadline_notices` is the second guard. Each case is
worked and committed on its own, so the audit chain's head is held for one case at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit, notify
from manyi.db import Database
from manyi.org.model import ROLE_PERMISSIONS, Permission, Role
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.supervision import due_rows
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import DeadlineNotice
from manyi.supervision.due_rows import due_ids
from manyi.supervision.misconduct import (
    deadline_look_at,
    local_today,
    record_step,
    working_days,
)
from manyi.supervision.misconduct_tables import MisconductCase, MisconductDeadlineNotice

LEASE = dt.timedelta(minutes=5)  # a worker that dies mid-case leaves it to the next scan
WORKER = audit.Actor(id=None, name="misconduct-deadlines")
SUBJECTS = {
    DeadlineNotice.AT_RISK: "Misconduct case #{id}: the investigation is due on {due}",
    DeadlineNotice.OVERDUE: "Misconduct case #{id} is overdue: the investigation was due on {due}",
}


@dataclass
class DeadlineReport:
    looked: int = 0
    warned: int = 0
    overdue: int = 0
    lost: int = 0  # claimed by another worker first

    @property
    def done(self) -> int:
        return self.warned + self.overdue

    def line(self) -> str:
        return (
            f"misconduct deadlines: looked at {self.looked}, warned {self.warned}, "
            f"overdue {self.overdue}"
        )


def scan(db: Database, now: dt.datetime, *, batch: int = 200) -> DeadlineReport:
    """One pass over every case due for a look, each on its own unit of work (`due_rows`)."""
    report = DeadlineReport()
    for case_id in due_ids(
        db, MisconductCase.id, MisconductCase.deadline_check_at, now, batch=batch
    ):
        with db.session() as session:
            if not claim(session, case_id, now):
                report.lost += 1
                continue
            report.looked += 1
            with session.no_autoflush:
                check(session, session.get_one(MisconductCase, case_id), now, report)
    return report


def claim(session: Session, case_id: int, now: dt.datetime) -> bool:
    """Take the case if it is still due; False when another worker took it meanwhile."""
    return due_rows.claim(
        session, MisconductCase.id, MisconductCase.deadline_check_at, case_id, now, LEASE
    )


def check(session: Session, case: MisconductCase, now: dt.datetime, report: DeadlineReport) -> None:
    unit = session.get_one(Unit, case.unit_id)
    today = local_today(now, unit.timezone)
    sent = set(
        session.scalars(
            select(MisconductDeadlineNotice.step).where(MisconductDeadlineNotice.case_id == case.id)
        )
    )
    calendar = working_days(session)
    step = rules.deadline_notice(case.state, case.investigation_due_on, today, calendar)
    # A case first seen overdue (a worker back from a pause) gets the overdue notice only.
    if step is not None and step.value not in sent and _record(session, case, step, now):
        told = _tell(session, case, step, now)
        record_step(
            session,
            WORKER,
            case,
            f"deadline_{step.value}",
            now,
            due_on=case.investigation_due_on.isoformat(),
            told=told,
        )
        sent.add(step.value)
        if step is DeadlineNotice.AT_RISK:
            report.warned += 1
        else:
            report.overdue += 1
    case.deadline_check_at = deadline_look_at(case, today, unit.timezone, calendar, sent)


def _record(session: Session, case: MisconductCase, step: DeadlineNotice, now: dt.datetime) -> bool:
    """The notice's row; False when it was recorded before (by another worker)."""
    try:
        with session.begin_nested():
            session.add(
                MisconductDeadlineNotice(
                    case_id=case.id,
                    step=step.value,
                    due_on=case.investigation_due_on,
                    notified=0,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def investigator(case: MisconductCase) -> int | None:
    """Who runs the investigation: its investigator, or the opener while nobody has taken it."""
    return case.investigator_id if case.investigator_id is not None else case.opened_by_id


_MANAGERS = [
    role.value
    for role, permissions in ROLE_PERMISSIONS.items()
    if Permission.MISCONDUCT_MANAGE in permissions and role is not Role.ADMINISTRATOR
]


def _managers_at(session: Session, unit_ids: list[int]) -> list[int]:
    return list(
        session.scalars(
            select(Staff.id)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(
                Staff.unit_id.in_(unit_ids),
                Staff.active.is_(True),
                StaffRole.role.in_(_MANAGERS),
            )
            .distinct()
            .order_by(Staff.id)
        )
    )


def responsible_managers(session: Session, case: MisconductCase) -> list[int]:
    """Holders of `supervision.misconduct` at the case's unit and one level up (the nearest
    units above that have any, when neither has), the staff member concerned left out."""
    chain = [int(part) for part in case.unit_path.split("/") if part][::-1]  # own unit first
    found = [s for s in _managers_at(session, chain[:2]) if s != case.staff_id]
    for unit_id in chain[2:]:
        if found:
            break
        found = [s for s in _managers_at(session, [unit_id]) if s != case.staff_id]
    return found


def _tell(session: Session, case: MisconductCase, step: DeadlineNotice, now: dt.datetime) -> int:
    lead = investigator(case)
    recipients = (
        [lead] if step is DeadlineNotice.AT_RISK else [lead, *responsible_managers(session, case)]
    )
    active = set(
        session.scalars(
            select(Staff.id).where(
                Staff.id.in_([r for r in recipients if r is not None]), Staff.active.is_(True)
            )
        )
    )
    unit = session.get_one(Unit, case.unit_id)
    severity = rules.severity_of(case.severity)
    told = 0
    for staff_id in dict.fromkeys(r for r in recipients if r is not None):
        if staff_id == case.staff_id or staff_id not in active:
            continue
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=SUBJECTS[step],
            # The bank's words, as the inbox shows a body: the unit and severity, no names.
            body=f"{unit.name_zh} · {severity.name_zh} · 调查期限 {case.investigation_due_on}",
            now=now,
            unit_id=case.unit_id,
            data={
                "kind": f"misconduct.deadline.{step.value}",
                "case": case.id,
                "subject_params": {"id": case.id, "due": case.investigation_due_on.isoformat()},
                "url": f"/supervision/misconduct/{case.id}",
            },
            dedupe_key=f"misconduct:{case.id}:{step.value}:{staff_id}",
        )
        told += 1
    notice = session.scalars(
        select(MisconductDeadlineNotice).where(
            MisconductDeadlineNotice.case_id == case.id,
            MisconductDeadlineNotice.step == step.value,
        )
    ).one()
    notice.notified = told
    return told
