"""The demo bank's inspection plans: a quarterly plan, a spot-check draw, a mystery-shopping
scenario with its assignment and a remote check, seeded once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from manyi import demo
from manyi.db import Database
from manyi.quality import demo_pad
from manyi.supervision import demo_plans
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.plan_tables import InspectionPlan, MysteryAssignment, RemoteCheck

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def test_the_demo_has_each_kind_of_plan_and_seeds_once(db: Database) -> None:
    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        demo_pad.seed(session, NOW)  # the lobby's history the remote check reviews
    with db.session() as session:
        first = demo_plans.seed(session, NOW)
    assert len(first.added) == 5, first.added
    with db.session() as session:
        assert demo_plans.seed(session, NOW).added == []
        kinds = dict(
            session.execute(
                select(InspectionVisit.kind, func.count()).group_by(InspectionVisit.kind)
            ).all()
        )
        plan_kinds = set(session.scalars(select(InspectionPlan.kind)))
        assert session.scalar(select(func.count()).select_from(MysteryAssignment)) == 1
        check = session.scalars(select(RemoteCheck)).one()
    assert kinds == {"scheduled": 5, "spot": 3, "mystery": 1, "remote": 1}
    assert plan_kinds == {"scheduled", "spot"}
    assert check.figures["issued"] >= 1
