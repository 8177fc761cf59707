"""The demo bank's customer messages: seeded once, every one of them by the reach rules."""

from __future__ import annotations

from sqlalchemy import select

from manyi import demo
from manyi.db import Database
from manyi.reach import demo as demo_reach
from manyi.reach.tables import ReachMessage
from tests.conftest import FIXED_NOW


def test_the_demo_has_texts_once(db: Database) -> None:
    with db.session() as session:
        demo.seed(session)
        assert demo_reach.seed(session, FIXED_NOW) == len(demo_reach.TEXTS)
        assert demo_reach.seed(session, FIXED_NOW) == 0
        states = sorted(session.scalars(select(ReachMessage.state)))
    assert states.count("delivered") == 4 and "failed" in states and "sent" in states
