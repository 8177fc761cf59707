"""The facts a star programme scores, read for the tellers of one outlet in the programme's
period: tickets served (the lobby's tables), the rating pad and survey CSAT per teller
(`quality.teller_facts`), complaints naming the teller and praise registered for them by the
complaint desk (`complaints.facts`), the outlet's submitted inspection visits
(`inspection_tables.InspectionVisit`) and the sanctions that take a teller off the star list
(`misconduct_queries.sanctions_removing_star`).

Praise is counted by the day the customer praised, within the programme's period (its first
and last day, dates: no time zone to apply).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints import facts as complaint_facts
from manyi.lobby.tables import LobbyTicket
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.quality import teller_facts
from manyi.supervision import misconduct_queries
from manyi.supervision.domain.stars import Facts, Programme
from manyi.supervision.domain.visits import VisitState
from manyi.supervision.inspection_tables import InspectionVisit


@dataclass(frozen=True)
class OutletFacts:
    outlet: Unit
    facts: dict[int, Facts]  # staff id → their facts
    names: dict[int, tuple[str, str]]  # staff id → (username, display name)


def local_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


def gather(session: Session, programme: Programme, outlet: Unit) -> OutletFacts:
    tz = outlet.timezone
    since = local_start(programme.starts_on, tz)
    until = local_start(programme.ends_on + dt.timedelta(days=1), tz)
    people = _people(session, outlet.id)
    served: dict[int, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(LobbyTicket.teller_id, func.count())
            .where(
                LobbyTicket.outlet_id == outlet.id,
                LobbyTicket.outcome == "served",
                LobbyTicket.finished_at >= since,
                LobbyTicket.finished_at < until,
                LobbyTicket.teller_id.is_not(None),
            )
            .group_by(LobbyTicket.teller_id)
        ).all()
    )
    # Someone who served at the outlet without the teller role (a lobby manager at a counter)
    # is listed too: the eligibility rule says why they cannot be nominated.
    people.update(_named(session, [i for i in served if i not in people]))
    satisfaction = teller_facts.by_teller(
        session, scope_path=outlet.path, tz=tz, start=programme.starts_on, end=programme.ends_on
    )
    complaints = complaint_facts.naming_staff(session, list(people), since=since, until=until)
    praise = complaint_facts.praise_for_staff(
        session, list(people), start=programme.starts_on, end=programme.ends_on
    )
    inspection = inspection_score(session, outlet.id, since, until)
    result: dict[int, Facts] = {}
    for staff_id, (_username, _name, roles) in people.items():
        sat = satisfaction.get(staff_id, teller_facts.TellerSatisfaction())
        result[staff_id] = Facts(
            served=int(served.get(staff_id, 0)),
            pad_n=sat.pad_n,
            pad_top2=sat.pad_top2,
            survey_n=sat.survey_n,
            survey_top2=sat.survey_top2,
            complaints=complaints.get(staff_id, 0),
            praise=praise.get(staff_id, 0),
            inspection=inspection,
            severe_misconduct=barred(session, staff_id, programme),
            roles=roles,
        )
    names = {i: (p[0], p[1]) for i, p in people.items()}
    return OutletFacts(outlet, result, names)


def _people(session: Session, outlet_id: int) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """The active staff of the outlet who hold the teller role: (username, name, roles)."""
    rows = session.execute(
        select(Staff.id, Staff.username, Staff.display_name)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.unit_id == outlet_id, Staff.active.is_(True), StaffRole.role == "teller")
    ).all()
    return {int(r[0]): (r[1], r[2], _roles(session, int(r[0]))) for r in rows}


def _named(session: Session, ids: list[int]) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.username, Staff.display_name).where(Staff.id.in_(ids))
    ).all()
    return {int(r[0]): (r[1], r[2], _roles(session, int(r[0]))) for r in rows}


def _roles(session: Session, staff_id: int) -> tuple[str, ...]:
    return tuple(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id)))


def teller_facts_for(session: Session, programme: Programme, staff: Staff) -> Facts:
    """One teller's facts (the teller console's progress, a nomination)."""
    found = gather(session, programme, staff.unit)
    default = Facts(roles=tuple(r.value for r in staff.roles))
    return found.facts.get(staff.id, default)


# --- the inspections and misconduct parts ----------------------------------------------------


def inspection_score(
    session: Session, outlet_id: int, since: dt.datetime, until: dt.datetime
) -> float | None:
    """The mean score of the outlet's inspection visits submitted in the period (scheduled,
    spot checks, mystery shopping and remote checks alike), or None when it had none."""
    V = InspectionVisit
    value = session.scalar(
        select(func.avg(V.score)).where(
            V.unit_id == outlet_id,
            V.state == VisitState.SUBMITTED.value,
            V.score.is_not(None),
            V.submitted_at >= since,
            V.submitted_at < until,
        )
    )
    return None if value is None else float(value)


# A sanction that takes a teller off the star list (the misconduct part's catalogue) bars them
# for a year from the day it takes effect: in the period it falls in and in any period that
# starts within a year after it; a star already awarded loses its level from that day.
REMOVAL_BARS_DAYS = 365


@dataclass(frozen=True)
class _Period:
    start: dt.date
    end: dt.date


def star_removals(session: Session, staff_id: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days on which sanctions taking the staff member off the star list took effect, on
    or before `end` (finalised misconduct cases only)."""
    removals = misconduct_queries.sanctions_removing_star(session, staff_id, _Period(start, end))
    return [removal.effective_on for removal in removals]


def barred(session: Session, staff_id: int, programme: Programme) -> int:
    """How many star-removing sanctions bar the teller from this programme."""
    days = star_removals(session, staff_id, programme.starts_on, programme.ends_on)
    first = programme.starts_on - dt.timedelta(days=REMOVAL_BARS_DAYS)
    return sum(1 for day in days if day >= first)
