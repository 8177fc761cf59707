"""What supervision tells features above it about its findings (listed in PUBLIC):

- `on_submitted`: a listener called, inside the inspector's unit of work, when an inspection is
  submitted with failed items (lobby guidance assigns the training modules that train them to
  the outlet); registered by the composition roots, so supervision imports no feature above it;
- `inspection_for_library`, `misconduct_for_library`: a failed item of a submitted inspection
  or a finalised misconduct case as the source of a typical case (the case library), within a
  data scope: the text a case starts from and the names it must leave out (the staff member
  concerned, the inspector). Names are for the case library's check only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.org.model import path_in_scope
from manyi.org.tables import Staff
from manyi.supervision.domain.misconduct import CaseState
from manyi.supervision.domain.scorecard import Outcome
from manyi.supervision.domain.visits import VisitState
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit
from manyi.supervision.misconduct_tables import MisconductCase
from manyi.supervision.standards import standard_by_id


@dataclass(frozen=True)
class Finding:
    """A submitted inspection's failed items."""

    visit_id: int
    unit_id: int
    unit_path: str
    failed: tuple[str, ...]  # checklist item codes


Listener = Callable[[Session, Finding, dt.datetime], object]
_listeners: list[Listener] = []


def on_submitted(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def submitted(session: Session, finding: Finding, now: dt.datetime) -> None:
    """Tell the listeners (the inspections' submit step calls it when items failed)."""
    for listener in _listeners:
        listener(session, finding, now)


@dataclass(frozen=True)
class LibrarySource:
    reference: str
    unit_id: int
    unit_path: str
    text: str
    names: tuple[str, ...]
    usable: bool  # the item failed on a submitted visit; the case is finalised


def _names(session: Session, *ids: int | None) -> tuple[str, ...]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return ()
    return tuple(session.scalars(select(Staff.display_name).where(Staff.id.in_(wanted))))


def inspection_for_library(
    session: Session, scope_path: str, visit_id: int, item_code: str
) -> LibrarySource | None:
    """A checklist item of an inspection in the scope; None when unknown or outside it."""
    visit = session.get(InspectionVisit, visit_id)
    if visit is None or not path_in_scope(scope_path, visit.unit_path):
        return None
    code = item_code.strip().upper()
    result = session.scalar(
        select(InspectionResult).where(
            InspectionResult.visit_id == visit.id, InspectionResult.item_code == code
        )
    )
    if result is None:
        return None
    item = next(
        (i for i in standard_by_id(session, visit.standard_id).items if i.code == code), None
    )
    text = "\n".join(t for t in ((item.text_zh if item else code), result.note) if t)
    usable = visit.state == VisitState.SUBMITTED.value and result.outcome == Outcome.FAILED.value
    names = _names(session, visit.inspector_id, result.recorded_by_id)
    return LibrarySource(f"{visit.id}/{code}", visit.unit_id, visit.unit_path, text, names, usable)


def misconduct_for_library(session: Session, scope_path: str, case_id: int) -> LibrarySource | None:
    """A misconduct case in the scope; None when unknown or outside it."""
    case = session.get(MisconductCase, case_id)
    if case is None or not path_in_scope(scope_path, case.unit_path):
        return None
    text = "\n\n".join(t.strip() for t in (case.summary, case.decision_note) if t and t.strip())
    return LibrarySource(
        str(case.id),
        case.unit_id,
        case.unit_path,
        text,
        _names(session, case.staff_id, case.investigator_id),
        case.state == CaseState.FINALISED.value,
    )


def recent_failed_items(
    session: Session, scope_path: str, item_code: str = "", limit: int = 20
) -> list[tuple[int, int, str]]:
    """(visit id, unit id, item code) of failed items of submitted inspections in the scope,
    newest visit first (all items, or one code): sources a case may be written from."""
    statement = (
        select(InspectionVisit.id, InspectionVisit.unit_id, InspectionResult.item_code)
        .join(InspectionResult, InspectionResult.visit_id == InspectionVisit.id)
        .where(
            InspectionVisit.state == VisitState.SUBMITTED.value,
            InspectionResult.outcome == Outcome.FAILED.value,
            InspectionVisit.unit_path.startswith(scope_path, autoescape=True),
        )
        .order_by(InspectionVisit.id.desc(), InspectionResult.item_code)
        .limit(limit)
    )
    if item_code:
        statement = statement.where(InspectionResult.item_code == item_code.upper())
    return [(int(v), int(u), str(c)) for v, u, c in session.execute(statement)]


def finalised_cases(session: Session, scope_path: str, limit: int = 20) -> list[tuple[int, int]]:
    """(case id, unit id) of finalised misconduct cases in the scope, newest first."""
    rows = session.execute(
        select(MisconductCase.id, MisconductCase.unit_id)
        .where(
            MisconductCase.state == CaseState.FINALISED.value,
            MisconductCase.unit_path.startswith(scope_path, autoescape=True),
        )
        .order_by(MisconductCase.id.desc())
        .limit(limit)
    )
    return [(int(c), int(u)) for c, u in rows]
