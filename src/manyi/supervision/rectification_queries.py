"""Reads for the rectification pages: the board per unit (open, overdue, closed, closed on
time), the filtered list, the choices of the new-task form. Always within the viewer's scope.
The task page's reads are in `rectification_detail`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from manyi.errors import InvalidInput, NotFound
from manyi.org.model import ROLE_PERMISSIONS, Permission, UnitLevel, path_in_scope
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.supervision.domain.rectification import (
    WITH_RESPONSIBLE,
    Source,
    TaskState,
    is_overdue,
    summary_counts,
)
from manyi.supervision.rectification_tables import RectificationTask

LIST_LIMIT = 500


@dataclass(frozen=True)
class BoardRow:
    unit_id: int
    code: str
    name: str
    figures: dict[str, int | float | None]
    drill: bool  # has units below: a click goes down the tree
    own: bool = False  # the focus unit's own tasks (not its children's)


@dataclass
class Board:
    focus: Unit
    trail: list[Unit]  # from the viewer's unit down to the focus
    rows: list[BoardRow]
    total: dict[str, int | float | None]


@dataclass(frozen=True)
class Filters:
    state: str = ""  # a TaskState value, or "" for all
    source: str = ""  # a Source value, or "" for all
    overdue: bool = False

    @classmethod
    def parse(cls, state: str, source: str, overdue: str) -> Filters:
        state, source = state.strip(), source.strip()
        if state and state not in {s.value for s in TaskState}:
            raise InvalidInput("state: one of {names}", "state", names=", ".join(TaskState))
        if source and source not in {s.value for s in Source}:
            raise InvalidInput("source: one of {names}", "source", names=", ".join(Source))
        return cls(state, source, overdue in ("1", "on", "true"))


@dataclass(frozen=True)
class ListRow:
    id: int
    title: str
    source: str
    source_ref: str
    unit_name: str
    owner_name: str
    due_on: dt.date
    state: TaskState
    overdue: bool
    closed_on_time: bool | None


@dataclass
class TaskList:
    rows: list[ListRow] = field(default_factory=list)
    truncated: bool = False


def focus_unit(session: Session, scope_path: str, code: str, own_unit_id: int) -> Unit:
    """The unit the board looks at: `code` within the scope, or the viewer's own unit."""
    if not code:
        return session.get_one(Unit, own_unit_id)
    unit = session.scalar(select(Unit).where(Unit.code == code.strip()[:32]))
    if unit is None or not path_in_scope(scope_path, unit.path):
        raise NotFound("there is no unit {code} in your scope", "unit", code=code)
    return unit


def board(session: Session, scope_path: str, focus: Unit, today: dt.date, lang: str) -> Board:
    """Per child unit of the focus (and the focus's own tasks), the board's figures."""
    children = list(
        session.scalars(select(Unit).where(Unit.parent_id == focus.id).order_by(Unit.code))
    )
    has_children = set(
        session.scalars(
            select(Unit.parent_id).where(Unit.parent_id.in_([c.id for c in children])).distinct()
        )
    )
    tasks = session.execute(
        select(
            RectificationTask.unit_id,
            RectificationTask.unit_path,
            RectificationTask.state,
            RectificationTask.due_on,
            RectificationTask.submitted_on,
        ).where(in_scope(RectificationTask.unit_path, focus.path))
    ).all()
    groups: dict[int, list[tuple[TaskState, dt.date, dt.date | None]]] = {}
    prefixes = [(c.path, c.id) for c in children]
    for unit_id, path, state, due_on, submitted_on in tasks:
        key = (
            focus.id
            if unit_id == focus.id
            else next((cid for prefix, cid in prefixes if path.startswith(prefix)), focus.id)
        )
        groups.setdefault(key, []).append((TaskState(state), due_on, submitted_on))
    rows = []
    if focus.id in groups:
        rows.append(
            BoardRow(
                focus.id,
                focus.code,
                focus.name(lang),
                summary_counts(groups[focus.id], today),
                drill=False,
                own=True,
            )
        )
    for child in children:
        rows.append(
            BoardRow(
                child.id,
                child.code,
                child.name(lang),
                summary_counts(groups.get(child.id, []), today),
                drill=child.id in has_children or child.level == UnitLevel.OUTLET,
            )
        )
    every = [t for g in groups.values() for t in g]
    return Board(focus, _trail(session, scope_path, focus), rows, summary_counts(every, today))


def _trail(session: Session, scope_path: str, focus: Unit) -> list[Unit]:
    ids = [int(p) for p in focus.path.strip("/").split("/") if p]
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [units[i] for i in ids if i in units and path_in_scope(scope_path, units[i].path)]


def task_list(
    session: Session, focus: Unit, filters: Filters, today: dt.date, lang: str
) -> TaskList:
    """The tasks of the focus's subtree, newest first, filtered (at most LIST_LIMIT)."""
    owner = aliased(Staff)
    query = (
        select(RectificationTask, Unit, owner.display_name)
        .join(Unit, Unit.id == RectificationTask.unit_id)
        .outerjoin(owner, owner.id == RectificationTask.owner_id)
        .where(in_scope(RectificationTask.unit_path, focus.path))
        .order_by(RectificationTask.due_on, RectificationTask.id.desc())
    )
    if filters.state:
        query = query.where(RectificationTask.state == filters.state)
    if filters.source:
        query = query.where(RectificationTask.source == filters.source)
    if filters.overdue:
        query = query.where(
            RectificationTask.state.in_([s.value for s in WITH_RESPONSIBLE]),
            RectificationTask.due_on < today,
        )
    found = session.execute(query.limit(LIST_LIMIT + 1)).all()
    result = TaskList(truncated=len(found) > LIST_LIMIT)
    for task, unit, owner_name in found[:LIST_LIMIT]:
        state = TaskState(task.state)
        result.rows.append(
            ListRow(
                id=task.id,
                title=task.title,
                source=task.source,
                source_ref=task.source_ref,
                unit_name=unit.name(lang),
                owner_name=owner_name or "",
                due_on=task.due_on,
                state=state,
                overdue=is_overdue(state, task.due_on, today),
                closed_on_time=task.closed_on_time,
            )
        )
    return result


def unit_choices(session: Session, scope_path: str, lang: str) -> list[tuple[int, str]]:
    """Units a task may be opened for (the viewer's subtree), in tree order."""
    units = session.scalars(
        select(Unit).where(in_scope(Unit.path, scope_path), Unit.active).order_by(Unit.path)
    )
    return [(u.id, f"{u.code} · {u.name(lang)}") for u in units]


def owner_choices(session: Session, scope_path: str, lang: str) -> list[tuple[int, str, int]]:
    """Staff who may own a task (they work rectification tasks): (id, label, unit id)."""
    roles = [
        r.value
        for r, perms in ROLE_PERMISSIONS.items()
        if Permission.SUPERVISION_RECTIFY in perms and r.value != "administrator"
    ]
    rows = session.execute(
        select(Staff.id, Staff.display_name, Unit.id, Unit.code)
        .join(Unit, Unit.id == Staff.unit_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(in_scope(Unit.path, scope_path), Staff.active, StaffRole.role.in_(roles))
        .distinct()
        .order_by(Unit.code, Staff.display_name)
    ).all()
    return [(sid, f"{name} ({code})", uid) for sid, name, uid, code in rows]
