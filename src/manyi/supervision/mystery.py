"""Mystery shopping (暗访): scenario scripts, assignments to outlets, and the shopper's
single-use link `/m/{token}`.

- A scenario is bank-wide data: a code, a title and numbered steps (zh, en optional).
- `assign` plans a visit of kind "mystery" at an outlet in the inspector's scope and makes a
  link for the shopper, who need not be staff. The token is random (192 bits); its SHA-256
  finds it and the token itself is sealed at rest, so the inspector can hand the link over
  again until it is used or expires.
- `open_link` / `submit`: the shopper's page. The shopper judges the items a customer meets
  (`domain.fieldwork.CUSTOMER_GROUPS`); the others are recorded "not applicable". Every check
  runs before anything is written; then the link is claimed by a filtered UPDATE (two submits
  at once: one wins, the other is told the link is spent), the answers are recorded and the
  visit submitted through `inspections`, as an actor without a unit (the link vouched for it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.supervision import inspections
from manyi.supervision.domain import fieldwork
from manyi.supervision.domain.fieldwork import Step
from manyi.supervision.domain.standards import Item
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.plan_tables import MysteryAssignment, MysteryScenario
from manyi.supervision.plans import local_today, unit_in_scope
from manyi.supervision.standards import current_standard, standard_by_id

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
MAX_TITLE = 200
MAX_LABEL = 60
MAX_VALID_DAYS = 60
DEFAULT_VALID_DAYS = 14
NOT_JUDGED = "暗访不评此项（客户视角之外或需现场拍照）"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_hash(address: str, user_agent: str) -> str:
    return hashlib.sha256(f"{address}|{user_agent}".encode()).hexdigest()


# --- scenarios --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    id: int
    code: str
    title_zh: str
    title_en: str
    steps: tuple[Step, ...]
    active: bool

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_zh


def _scenario(row: MysteryScenario) -> Scenario:
    return Scenario(
        row.id,
        row.code,
        row.title_zh,
        row.title_en,
        fieldwork.steps_from_json(row.steps),
        row.active,
    )


def scenarios(session: Session) -> list[Scenario]:
    rows = session.scalars(select(MysteryScenario).order_by(MysteryScenario.code))
    return [_scenario(r) for r in rows]


def create_scenario(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    title_zh: str,
    title_en: str,
    steps_zh: str,
    steps_en: str,
    now: dt.datetime,
) -> int:
    code = code.strip().upper()
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "A scenario code is 1 to 32 letters, digits or '-', like MS-CASH-1.", "code"
        )
    title_zh, title_en = title_zh.strip(), title_en.strip()
    if not title_zh or len(title_zh) > MAX_TITLE or len(title_en) > MAX_TITLE:
        raise InvalidInput(
            "A scenario needs a Chinese title of 1 to {n} characters (English optional).",
            "title_zh",
            n=MAX_TITLE,
        )
    steps = fieldwork.parse_steps(steps_zh, steps_en)
    if session.scalar(select(MysteryScenario.id).where(MysteryScenario.code == code)):
        raise Conflict("There is a scenario {code} already.", "code", code=code)
    row = MysteryScenario(
        code=code,
        title_zh=title_zh,
        title_en=title_en,
        steps=fieldwork.steps_to_json(steps),
        active=True,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="mystery_scenario",
        entity_id=row.id,
        action="create",
        summary={"code": code, "title": title_zh, "steps": len(steps)},
        now=now,
    )
    return row.id


# --- assignments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assigned:
    id: int
    visit_id: int
    token: str


def assign(
    session: Session,
    actor: audit.Actor,
    *,
    scenario_id: int,
    outlet_id: int,
    planned_on: dt.date,
    shopper_label: str,
    valid_days: int,
    now: dt.datetime,
) -> Assigned:
    """Send a scenario to an outlet: a "mystery" visit and the shopper's single-use link."""
    scenario = session.get(MysteryScenario, scenario_id)
    if scenario is None or not scenario.active:
        raise InvalidInput("Choose one of the scenarios.", "scenario_id")
    outlet = unit_in_scope(session, actor, outlet_id)
    label = shopper_label.strip()
    if len(label) > MAX_LABEL:
        raise InvalidInput(
            "The shopper's label has at most {n} characters (never a real name).",
            "shopper_label",
            n=MAX_LABEL,
        )
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise InvalidInput("A link is valid for 1 to {n} days.", "valid_days", n=MAX_VALID_DAYS)
    today = local_today(outlet, now)
    if not today <= planned_on <= today + dt.timedelta(days=valid_days):
        raise InvalidInput(
            "The visit is planned from today to the last day the link is valid.", "planned_on"
        )
    visit_id = inspections.schedule_visit(
        session,
        actor,
        outlet_id=outlet.id,
        kind="mystery",
        planned_on=planned_on,
        plan_ref=f"mystery:{scenario.code}",
        now=now,
    )
    token = secrets.token_urlsafe(24)
    row = MysteryAssignment(
        scenario_id=scenario.id,
        visit_id=visit_id,
        outlet_id=outlet.id,
        unit_path=outlet.path,
        token_hash=token_hash(token),
        token=token,
        shopper_label=label,
        expires_at=now + dt.timedelta(days=valid_days),
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="mystery_assignment",
        entity_id=row.id,
        action="assign",
        summary={
            "scenario": scenario.code,
            "outlet": outlet.code,
            "visit": visit_id,
            "planned_on": planned_on.isoformat(),
            "expires_at": row.expires_at.isoformat(),
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
    return Assigned(row.id, visit_id, token)


@dataclass(frozen=True, slots=True)
class AssignmentLine:
    id: int
    visit_id: int
    scenario_code: str
    outlet_zh: str
    outlet_en: str
    shopper_label: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    link: str | None  # while it may still be used


def assignment_lines(
    session: Session, scope_path: str, now: dt.datetime, limit: int = 50
) -> list[AssignmentLine]:
    rows = session.execute(
        select(MysteryAssignment, MysteryScenario.code, Unit.name_zh, Unit.name_en)
        .join(MysteryScenario, MysteryScenario.id == MysteryAssignment.scenario_id)
        .join(Unit, Unit.id == MysteryAssignment.outlet_id)
        .where(in_scope(MysteryAssignment.unit_path, scope_path))
        .order_by(MysteryAssignment.created_at.desc(), MysteryAssignment.id.desc())
        .limit(limit)
    ).all()
    return [
        AssignmentLine(
            a.id,
            a.visit_id,
            code,
            zh,
            en or zh,
            a.shopper_label,
            a.created_at,
            a.expires_at,
            a.used_at,
            f"/m/{a.token}" if a.used_at is None and a.expires_at > now else None,
        )
        for a, code, zh, en in rows
    ]


# --- the shopper's link -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Opened:
    assignment: MysteryAssignment
    scenario: Scenario
    outlet_zh: str
    outlet_en: str
    items: tuple[Item, ...]  # the ones the shopper judges
    all_items: tuple[Item, ...]


def open_link(session: Session, token: str, now: dt.datetime) -> Opened:
    """The assignment of a link; NotFound, or Conflict when spent or expired."""
    row = session.scalars(
        select(MysteryAssignment).where(MysteryAssignment.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise NotFound("This link is not valid.", error_code="mystery_unknown")
    if row.used_at is not None:
        raise Conflict(
            "This link has been used: the visit was reported. Thank you!",
            error_code="mystery_used",
        )
    if row.expires_at <= now:
        raise Conflict("This link has expired.", error_code="mystery_expired")
    visit = session.get(InspectionVisit, row.visit_id)
    assert visit is not None  # a foreign key
    standard = standard_by_id(session, visit.standard_id)
    scenario = session.get(MysteryScenario, row.scenario_id)
    outlet = session.get(Unit, row.outlet_id)
    assert scenario is not None and outlet is not None  # foreign keys
    items = tuple(standard.items)
    return Opened(
        row,
        _scenario(scenario),
        outlet.name_zh,
        outlet.name_en or outlet.name_zh,
        fieldwork.judged_items(items, fieldwork.CUSTOMER_GROUPS),
        items,
    )


def submit(
    session: Session,
    token: str,
    sent: Mapping[str, tuple[str, str]],
    overall: str,
    now: dt.datetime,
    client: str | None,
) -> int:
    """Record the shopper's report once; returns the visit's id."""
    opened = open_link(session, token, now)
    overall = overall.strip()
    if len(overall) > inspections.MAX_NOTE:
        raise InvalidInput(
            "The note on the visit has at most {n} characters.", "overall", n=inspections.MAX_NOTE
        )
    answers = fieldwork.scorecard_answers(opened.all_items, opened.items, sent, NOT_JUDGED)
    row = opened.assignment
    claimed = session.execute(
        update(MysteryAssignment)
        .where(MysteryAssignment.id == row.id, MysteryAssignment.used_at.is_(None))
        .values(used_at=now, client_hash=client)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        raise Conflict(
            "This link has been used: the visit was reported. Thank you!",
            error_code="mystery_used",
        )
    shopper = audit.Actor(id=None, name=f"mystery-shopper:{row.id}")
    inspections.record_results(session, shopper, row.visit_id, answers, now)
    inspections.submit_visit(session, shopper, row.visit_id, now, notes=overall)
    audit.record(
        session,
        shopper,
        entity_type="mystery_assignment",
        entity_id=row.id,
        action="report",
        summary={"visit": row.visit_id},
        unit_id=row.outlet_id,
        unit_path=row.unit_path,
        now=now,
    )
    return row.visit_id


def current_items(session: Session) -> tuple[Item, ...]:
    """The items a shopper would judge on the current checklist (for the assignment page)."""
    return fieldwork.judged_items(tuple(current_standard(session).items), fieldwork.CUSTOMER_GROUPS)
