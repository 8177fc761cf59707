"""Reads for the inspection pages: one visit's scorecard, the visits of a period in the viewer's
scope with the league table of outlets and the monthly trend, the outlets one may visit.

Periods go by the visit's planned day (a local date: no time zone to convert). Only submitted
visits count in scores, league and trend; planned and in-progress ones are listed as work to do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from manyi import audit
from manyi.org.model import UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.supervision import rectification
from manyi.supervision.domain import scorecard
from manyi.supervision.domain.rectification import Source
from manyi.supervision.domain.scorecard import Answer, Score
from manyi.supervision.domain.standards import GROUPS, Item
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.inspections import answers_of, load_visit, results_of
from manyi.supervision.standards import standard_by_id


@dataclass(frozen=True)
class Photo:
    sha256: str
    filename: str


@dataclass(frozen=True)
class Line:
    item: Item
    answer: Answer
    photos: tuple[Photo, ...]
    task_id: int | None
    task_state: str | None


@dataclass(frozen=True)
class Card:
    visit: InspectionVisit
    outlet_code: str
    outlet_name: str
    inspector: str
    version: int
    groups: list[tuple[str, list[Line]]]
    score: Score

    @property
    def submitted(self) -> bool:
        return self.visit.state == "submitted"


def scorecard_view(session: Session, actor: audit.Actor, visit_id: int, lang: str) -> Card:
    """One visit's card: items by group with their answers, photos and tasks; the score."""
    visit = load_visit(session, actor, visit_id)
    standard = standard_by_id(session, visit.standard_id)
    rows = results_of(session, visit.id)
    answers = answers_of(rows)
    tasks = {
        t.id: t.state.value
        for t in rectification.tasks_for_source(
            session, Source.INSPECTION, f"inspection:{visit.id}:"
        )
    }
    outlet = session.get(Unit, visit.unit_id)
    inspector = session.get(Staff, visit.inspector_id) if visit.inspector_id else None
    grouped: dict[str, list[Line]] = defaultdict(list)
    for item in standard.items:
        row = rows.get(item.code)
        task_id = row.task_id if row else None
        grouped[item.group].append(
            Line(
                item,
                answers.get(item.code, Answer(None)),
                tuple(Photo(p["sha256"], p["filename"]) for p in (row.photos if row else [])),
                task_id,
                tasks.get(task_id) if task_id else None,
            )
        )
    return Card(
        visit=visit,
        outlet_code=outlet.code if outlet else "",
        outlet_name=(outlet.name_en if lang == "en" and outlet.name_en else outlet.name_zh)
        if outlet
        else "",
        inspector=inspector.display_name if inspector else "",
        version=standard.version,
        groups=[(g, grouped[g]) for g in GROUPS if grouped.get(g)],
        score=scorecard.score(standard.items, answers),
    )


@dataclass(frozen=True)
class VisitRow:
    id: int
    kind: str
    state: str
    planned_on: dt.date
    outlet_code: str
    outlet_name: str
    inspector: str
    score: float | None
    critical_failed: bool


@dataclass(frozen=True)
class LeagueRow:
    rank: int
    outlet_code: str
    outlet_name: str
    visits: int
    mean: float
    lowest: float
    critical: int


@dataclass
class Results:
    start: dt.date
    end: dt.date
    visits: list[VisitRow]
    to_do: list[VisitRow]
    league: list[LeagueRow]
    months: list[str]
    trend: dict[str, list[float | None]] = field(default_factory=dict)  # outlet → mean per month

    @property
    def submitted(self) -> list[VisitRow]:
        return [v for v in self.visits if v.state == "submitted"]

    @property
    def mean(self) -> float | None:
        scores = [v.score for v in self.submitted if v.score is not None]
        return round(sum(scores) / len(scores), 1) if scores else None


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def results(
    session: Session, scope_path: str, start: dt.date, end: dt.date, lang: str, outlet: str = ""
) -> Results:
    """Visits planned from `start` to `end` (inclusive) at outlets in the scope (or one outlet,
    by code), newest first; the league table (mean score of submitted visits, best first; ties
    by fewer critical failures) and each outlet's monthly mean."""
    inspector = aliased(Staff)
    query = (
        select(InspectionVisit, Unit, inspector.display_name)
        .join(Unit, Unit.id == InspectionVisit.unit_id)
        .outerjoin(inspector, inspector.id == InspectionVisit.inspector_id)
        .where(
            in_scope(InspectionVisit.unit_path, scope_path),
            InspectionVisit.planned_on >= start,
            InspectionVisit.planned_on <= end,
        )
        .order_by(InspectionVisit.planned_on.desc(), InspectionVisit.id.desc())
    )
    if outlet:
        query = query.where(Unit.code == outlet)
    rows = []
    for visit, unit, name in session.execute(query).all():
        label = unit.name_en if lang == "en" and unit.name_en else unit.name_zh
        rows.append(
            VisitRow(
                visit.id,
                visit.kind,
                visit.state,
                visit.planned_on,
                unit.code,
                label,
                name or "",
                visit.score,
                visit.critical_failed,
            )
        )
    done = [r for r in rows if r.state == "submitted" and r.score is not None]
    by_outlet: dict[str, list[VisitRow]] = defaultdict(list)
    for row in done:
        by_outlet[row.outlet_code].append(row)
    ranked = sorted(
        by_outlet.values(),
        key=lambda vs: (
            -sum(v.score or 0 for v in vs) / len(vs),
            sum(v.critical_failed for v in vs),
        ),
    )
    league = [
        LeagueRow(
            rank,
            vs[0].outlet_code,
            vs[0].outlet_name,
            len(vs),
            round(sum(v.score or 0 for v in vs) / len(vs), 1),
            min(v.score or 0 for v in vs),
            sum(1 for v in vs if v.critical_failed),
        )
        for rank, vs in enumerate(ranked, start=1)
    ]
    months = _months(start, end)
    trend: dict[str, list[float | None]] = {}
    for visits in by_outlet.values():
        per: dict[str, list[float]] = defaultdict(list)
        for v in visits:
            per[v.planned_on.strftime("%Y-%m")].append(v.score or 0)
        name = visits[0].outlet_name
        trend[name] = [round(sum(per[m]) / len(per[m]), 1) if per.get(m) else None for m in months]
    return Results(
        start,
        end,
        rows,
        [r for r in rows if r.state != "submitted"],
        league,
        months,
        trend,
    )


@dataclass(frozen=True)
class OutletChoice:
    id: int
    code: str
    name: str


def outlets_in_scope(session: Session, scope_path: str, lang: str) -> list[OutletChoice]:
    """The open outlets one may plan a visit at."""
    units = session.scalars(
        select(Unit)
        .where(in_scope(Unit.path, scope_path), Unit.level == UnitLevel.OUTLET, Unit.active)
        .order_by(Unit.code)
    )
    return [
        OutletChoice(u.id, u.code, u.name_en if lang == "en" and u.name_en else u.name_zh)
        for u in units
    ]
