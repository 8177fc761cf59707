"""The demo bank's inspections: a dozen submitted visits at every demo outlet, critical
failures turned into tasks (one already overdue), photos kept, one visit to fill; seeded once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from manyi import demo
from manyi.db import Database
from manyi.supervision import demo_inspections, rectification
from manyi.supervision.domain.rectification import Source
from manyi.supervision.inspection_queries import results
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit
from tests.conftest import FIXED_NOW


def test_the_demo_has_inspections_and_their_tasks_and_seeds_once(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        assert demo_inspections.seed(session, FIXED_NOW, tmp_path) == demo_inspections.VISITS + 1
    with db.session() as session:
        assert demo_inspections.seed(session, FIXED_NOW, tmp_path) == 0
    with db.read() as session:
        visits = list(session.scalars(select(InspectionVisit)))
        photos = [r.photos for r in session.scalars(select(InspectionResult)) if r.photos]
        tasks = rectification.tasks_for_source(
            session, Source.INSPECTION, "inspection:", now=FIXED_NOW
        )
        seen = results(session, "/", FIXED_NOW.date().replace(month=7), FIXED_NOW.date(), "zh")
    submitted = [v for v in visits if v.state == "submitted"]
    assert len(submitted) == demo_inspections.VISITS
    assert {v.unit_id for v in submitted} and len({v.unit_id for v in submitted}) == 5
    assert sum(v.critical_failed for v in submitted) == len(demo_inspections.CRITICAL)
    assert len(tasks) == len(demo_inspections.CRITICAL) and any(t.overdue for t in tasks)
    assert photos
    assert len(seen.league) == 5 and seen.league[0].mean >= seen.league[-1].mean
    assert len(seen.to_do) == 0  # tomorrow's visit is after the period
