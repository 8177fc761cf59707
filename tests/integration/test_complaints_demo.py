"""The demo bank's complaints: something in every state, seeded once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from manyi import demo
from manyi.complaints import demo as demo_complaints
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.db import Database

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def test_the_demo_has_a_case_in_every_state_and_seeds_once(db: Database) -> None:
    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        assert demo_complaints.seed(session, NOW) == len(demo_complaints.CASES)
    with db.session() as session:
        assert demo_complaints.seed(session, NOW) == 0
        states = set(session.scalars(select(Complaint.state)))
        supervised = session.scalar(select(func.count()).select_from(ComplaintSupervision))
        extended = session.scalar(select(func.count()).where(Complaint.deadline_stage == 1))
    assert states == {"assigned", "investigating", "decided", "closed"}
    assert supervised == 1 and extended == 1
