"""Lobby guidance's worker job (`guidance-selfcheck`): plan every outlet's self-check rounds of
its local day (and of the day before, for a worker back after midnight), then alert the branch
of each round missed — not submitted within the grace after it was due.

Who hears: the heads (网点负责人 / 机构负责人: the branch-head role) of the nearest unit above the
outlet that has any, and the outlet's own heads, so they know the branch was told. Once per
round: the round is claimed by a filtered UPDATE that clears its `alert_at` while it is still
unsubmitted and due (under PostgreSQL's row lock a second worker's UPDATE waits, re-checks the
condition and finds nothing), in the same transaction as the notices, so a worker that dies
half-way leaves the round to the next pass; each notice also carries a dedupe key. A round
submitted late, after the alert, stays alerted: the record shows both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from manyi import audit, notify
from manyi.config import Settings
from manyi.db import Database
from manyi.guidance import selfcheck
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.selfcheck_tables import SelfCheckRound as R
from manyi.lobby.tables import LobbySettings
from manyi.org.model import Role, UnitLevel
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.workdays.calendars import bank_calendar
from manyi.worker import JobResult, WorkerJob

WORKER = audit.Actor(id=None, name="guidance-selfcheck")
MISSED_SUBJECT = "Self-check missed at {outlet}: {round} of {day}, due {due}"


@dataclass
class AlertReport:
    planned: int = 0  # outlets whose day was planned in this pass
    alerted: int = 0  # rounds the branch was told of
    told: int = 0  # notices written
    lost: int = 0  # claimed by another worker first

    @property
    def done(self) -> int:
        return self.planned + self.alerted

    def line(self) -> str:
        return (
            f"self-check: {self.planned} outlet days planned, {self.alerted} missed rounds "
            f"alerted ({self.told} notices)"
        )


def plan(session: Session, now: dt.datetime) -> int:
    """Plan today's (and yesterday's) rounds of every active outlet with its lobby set up that
    has none for the day; returns how many outlet days were planned. Outlets are read zone by
    zone (a few zones)."""
    zones = session.scalars(
        select(Unit.timezone).where(Unit.level == UnitLevel.OUTLET.value, Unit.active).distinct()
    ).all()
    calendar = bank_calendar(session)
    done = 0
    for zone in zones:
        today = rules.local_day(now, zone)
        for day in (today - dt.timedelta(days=1), today):
            if not calendar.is_workday(day):
                continue  # a rest day has no rounds: no outlet to look at
            unplanned = session.scalars(
                select(Unit)
                .where(
                    Unit.level == UnitLevel.OUTLET.value,
                    Unit.active,
                    Unit.timezone == zone,
                    exists().where(LobbySettings.outlet_id == Unit.id),
                    ~exists().where(R.outlet_id == Unit.id, R.local_day == day),
                )
                .order_by(Unit.id)
            ).all()
            for outlet in unplanned:
                done += bool(selfcheck.plan_day(session, outlet, day))
    return done


def scan(db: Database, now: dt.datetime, *, batch: int = 200) -> AlertReport:
    """One pass: plan, then each missed round on its own unit of work."""
    report = AlertReport()
    with db.session() as session:
        report.planned = plan(session, now)
    seen: set[int] = set()
    while True:
        with db.read() as session:
            due = session.scalars(
                select(R.id).where(R.alert_at <= now).order_by(R.alert_at, R.id).limit(batch)
            ).all()
        fresh = [i for i in due if i not in seen]
        seen.update(fresh)
        for round_id in fresh:
            with db.session() as session:
                if not claim(session, round_id, now):
                    report.lost += 1
                    continue
                told = alert(session, session.get_one(R, round_id), now)
                report.alerted += 1
                report.told += told
        if len(due) < batch or not fresh:
            return report


def claim(session: Session, round_id: int, now: dt.datetime) -> bool:
    """Take the missed round if it is still unsubmitted and due; False when another worker took
    it (or it was submitted) meanwhile."""
    taken = session.scalars(
        update(R)
        .where(R.id == round_id, R.alert_at <= now, R.submitted_at.is_(None))
        .values(alert_at=None, alerted_at=now)
        .returning(R.id)
        .execution_options(synchronize_session=False)
    ).all()
    return bool(taken)


def _heads(session: Session, unit_ids: list[int]) -> list[int]:
    return list(
        session.scalars(
            select(Staff.id)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(
                Staff.unit_id.in_(unit_ids),
                Staff.active.is_(True),
                StaffRole.role == Role.BRANCH_HEAD.value,
            )
            .distinct()
            .order_by(Staff.id)
        )
    )


def recipients(session: Session, row: R) -> list[int]:
    """The heads of the nearest unit above the outlet that has any, then the outlet's own."""
    above = [int(part) for part in row.outlet_path.split("/") if part][:-1][::-1]
    branch: list[int] = []
    for unit_id in above:
        branch = _heads(session, [unit_id])
        if branch:
            break
    return list(dict.fromkeys([*branch, *_heads(session, [row.outlet_id])]))


def alert(session: Session, row: R, now: dt.datetime) -> int:
    session.refresh(row)
    outlet = session.get_one(Unit, row.outlet_id)
    rnd = rules.Round(row.round)
    due = row.due_at.astimezone(ZoneInfo(outlet.timezone)).strftime("%H:%M")
    params = {
        "outlet": outlet.name_zh,
        "round": selfcheck.ROUND_ZH[rnd],
        "day": row.local_day.isoformat(),
        "due": due,
    }
    told = 0
    for staff_id in recipients(session, row):
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=MISSED_SUBJECT,
            body=f"{outlet.name_zh} {row.local_day.isoformat()} {selfcheck.ROUND_ZH[rnd]}"
            f"（应于 {due} 完成）未在宽限期内提交；当日仍可补做，记为逾时。",
            now=now,
            unit_id=outlet.id,
            data={"subject_params": params, "url": f"/guidance/selfcheck/board?unit={outlet.code}"},
            dedupe_key=f"selfcheck-missed:{row.id}:{staff_id}",
        )
        told += 1
    row.alerted = told
    audit.record(
        session,
        WORKER,
        entity_type=selfcheck.ENTITY,
        entity_id=str(row.id),
        action="guidance.selfcheck.missed",
        summary={"day": row.local_day.isoformat(), "round": rnd.value, "told": told},
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
    return told


def _watch(db: Database, settings: Settings, now: dt.datetime) -> JobResult:
    report = scan(db, now)
    return JobResult(done=report.done, summary=report.line())


JOBS = (
    # Once a minute by one worker at a time (the planning reads every outlet zone by zone);
    # each missed round is claimed on its own, so a second worker would never alert twice.
    WorkerJob("guidance-selfcheck", _watch, every_s=60, lease_s=60),
)
