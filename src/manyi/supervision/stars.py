"""Service stars (服务明星): programmes (head office, bank-wide), candidates computed and
explained per outlet, and the stars awarded. The nomination and its two approval steps are in
`stars_steps`; the badge and a teller's own progress, which the lobby shows, in `stars_badges`.
The rules are in `domain.stars`; docs/supervision.md explains them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import UnitLevel, check_bank_wide_settings, path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision import stars_facts
from manyi.supervision.domain import star_definitions as definitions
from manyi.supervision.domain import stars as rules
from manyi.supervision.stars_tables import StarNomination, StarProgramme


def programme_of(row: StarProgramme) -> rules.Programme:
    return definitions.parse_programme(row.definition)


def programmes(session: Session) -> list[StarProgramme]:
    """Every programme, the newest period first."""
    statement = select(StarProgramme).order_by(StarProgramme.starts_on.desc(), StarProgramme.id)
    return list(session.scalars(statement))


def programme_row(session: Session, programme_id: int) -> StarProgramme:
    row = session.get(StarProgramme, programme_id)
    if row is None:
        raise NotFound("no star programme {id}", "programme", id=programme_id)
    return row


def current_programme(session: Session, today: dt.date) -> StarProgramme | None:
    """The programme whose period contains `today` (a quarter before a year), else the latest
    one that has begun."""
    running = session.scalars(
        select(StarProgramme)
        .where(StarProgramme.starts_on <= today, StarProgramme.ends_on >= today)
        .order_by(StarProgramme.ends_on, StarProgramme.id)
    ).first()
    if running is not None:
        return running
    return session.scalars(
        select(StarProgramme)
        .where(StarProgramme.starts_on <= today)
        .order_by(StarProgramme.starts_on.desc(), StarProgramme.id)
    ).first()


def save_programme(
    session: Session,
    actor: audit.Actor,
    data: Any,
    now: dt.datetime,
    *,
    level: str,
    programme_id: int | None = None,
) -> StarProgramme:
    """Create a programme, or replace one's definition while nobody has been nominated in it
    (afterwards the nominations' explanations would no longer match). Head office only."""
    check_bank_wide_settings(level)
    programme = definitions.parse_programme(data)
    clash = session.scalar(select(StarProgramme.id).where(StarProgramme.code == programme.code))
    if clash is not None and clash != programme_id:
        raise Conflict("a star programme {code} exists already", "code", code=programme.code)
    if programme_id is None:
        row = StarProgramme(created_by_id=actor.id, created_at=now)
        session.add(row)
        action = "supervision.star_programme_created"
    else:
        row = programme_row(session, programme_id)
        taken = session.scalar(
            select(func.count()).where(StarNomination.programme_id == programme_id)
        )
        if taken:
            raise Conflict(
                "programme {code} has nominations; its definition can no longer change",
                "definition",
                code=row.code,
            )
        action = "supervision.star_programme_changed"
    row.code = programme.code
    row.name_zh = programme.name_zh
    row.name_en = programme.name_en
    row.period = programme.period.value
    row.starts_on = programme.starts_on
    row.ends_on = programme.ends_on
    row.definition = dict(data)
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="star_programme",
        entity_id=row.id,
        action=action,
        summary={"code": row.code, "period": row.period, "starts_on": str(row.starts_on)},
        now=now,
    )
    return row


# --- candidates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    staff_id: int
    username: str
    name: str
    assessment: rules.Assessment
    nomination: StarNomination | None


def outlet_in_scope(session: Session, code: str, scope_path: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not path_in_scope(scope_path, unit.path):
        raise NotFound("no unit {code} in your scope", "unit", code=code)
    if unit.level != UnitLevel.OUTLET.value:
        raise InvalidInput("{code} is not an outlet; candidates are per outlet", "unit", code=code)
    return unit


def outlets_in_scope(session: Session, scope_path: str) -> list[Unit]:
    statement = select(Unit).where(
        in_scope(Unit.path, scope_path), Unit.level == UnitLevel.OUTLET.value, Unit.active
    )
    return sorted(session.scalars(statement), key=lambda u: u.code)


def candidates(session: Session, row: StarProgramme, outlet: Unit) -> list[Candidate]:
    """The outlet's tellers scored and explained, eligible ones best first."""
    programme = programme_of(row)
    found = stars_facts.gather(session, programme, outlet)
    nominated = {
        n.staff_id: n
        for n in session.scalars(
            select(StarNomination).where(
                StarNomination.programme_id == row.id, StarNomination.outlet_id == outlet.id
            )
        )
    }
    # Praise is the count registered for the teller in the period (complaints.facts), for
    # nominated tellers too: the nomination keeps the count it was scored with.
    assessed = [
        (staff_id, rules.assess(programme, facts)) for staff_id, facts in found.facts.items()
    ]
    return [
        Candidate(
            staff_id,
            found.names[staff_id][0],
            found.names[staff_id][1],
            assessment,
            nominated.get(staff_id),
        )
        for staff_id, assessment in rules.ranked(assessed)
    ]


# --- the lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NominationView:
    row: StarNomination
    programme: StarProgramme
    teller: str  # display name
    username: str
    outlet: str  # the outlet's name
    level: rules.Level | None


def nominations(
    session: Session,
    scope_path: str,
    *,
    states: tuple[rules.NominationState, ...] = (),
    programme_id: int | None = None,
    limit: int = 500,
) -> list[NominationView]:
    """Nominations of outlets in the subtree, the newest first."""
    statement = (
        select(StarNomination, StarProgramme, Staff.display_name, Staff.username, Unit.name_zh)
        .join(StarProgramme, StarProgramme.id == StarNomination.programme_id)
        .join(Staff, Staff.id == StarNomination.staff_id)
        .join(Unit, Unit.id == StarNomination.outlet_id)
        .where(in_scope(StarNomination.unit_path, scope_path))
        .order_by(StarNomination.id.desc())
        .limit(limit)
    )
    if states:
        statement = statement.where(StarNomination.state.in_([s.value for s in states]))
    if programme_id is not None:
        statement = statement.where(StarNomination.programme_id == programme_id)
    views = []
    for nomination, programme, name, username, outlet in session.execute(statement).all():
        level = programme_of(programme).level(nomination.level_code)
        views.append(NominationView(nomination, programme, name, username, outlet, level))
    return views


def nomination_view(session: Session, nomination_id: int, scope_path: str) -> NominationView:
    """One nomination in the viewer's scope (else not found, revealing nothing)."""
    row = session.get(StarNomination, nomination_id)
    if row is None or not path_in_scope(scope_path, row.unit_path):
        raise NotFound("no nomination {id} in your scope", "nomination", id=nomination_id)
    programme = session.get_one(StarProgramme, row.programme_id)
    staff = session.get_one(Staff, row.staff_id)
    outlet = session.get_one(Unit, row.outlet_id)
    level = programme_of(programme).level(row.level_code)
    return NominationView(row, programme, staff.display_name, staff.username, outlet.name_zh, level)


def quota_use(session: Session, row: StarProgramme, scope_path: str) -> list[dict[str, Any]]:
    """Per tier-1 branch in scope: its quota, and the nominations it has approved or awarded."""
    programme = programme_of(row)
    taken = dict(
        session.execute(
            select(StarNomination.branch_code, func.count())
            .where(
                StarNomination.programme_id == row.id,
                StarNomination.state.in_(
                    [rules.NominationState.BRANCH_APPROVED, rules.NominationState.AWARDED]
                ),
            )
            .group_by(StarNomination.branch_code)
        ).all()
    )
    branches = session.scalars(
        select(Unit).where(Unit.level == UnitLevel.TIER1_BRANCH.value).order_by(Unit.code)
    )
    return [
        {
            "code": b.code,
            "name": b.name_zh,
            "quota": programme.quota_for(b.code),
            "taken": int(taken.get(b.code, 0)),
        }
        for b in branches
        if path_in_scope(scope_path, b.path) or path_in_scope(b.path, scope_path)
    ]


def programmes_with_nominations(session: Session) -> set[int]:
    """The programmes whose definition is frozen (someone was nominated in them)."""
    return set(session.scalars(select(StarNomination.programme_id).distinct()))


def staff_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(ids))).all()
    return {int(r[0]): r[1] for r in rows}
