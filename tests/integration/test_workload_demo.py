"""The demo bank's teller workload and staff pulse (`workload.demo`, run by `manyi demo seed`):
last month's pulse shows 中关村 (eight answered) and hides the lone tellers' outlets, the
branch head's workload page has thirty days of figures, service weights come from the
catalogue, and seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi import demo
from manyi.counter import demo as counter_demo
from manyi.db import Database
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from manyi.org.tables import Unit
from manyi.workload import demo as workload_demo
from manyi.workload import pulse
from manyi.workload.tables import PulseAnswer, ServiceWeight
from tests.clock import FIXED_NOW
from tests.web_helpers import signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
LAST_MONTH = "2026-10"  # FIXED_NOW is in November


def _counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        tables = (LobbyTicket, LobbyEventRow, PulseAnswer, ServiceWeight)
        return tuple(int(session.scalar(select(func.count()).select_from(t)) or 0) for t in tables)


def test_the_demo_shows_workload_and_the_pulse(db: Database) -> None:
    with db.session() as session:
        demo.seed(session, password=demo.DEMO_PASSWORD)
        counter_demo.seed(session)
    line = workload_demo.seed(db, FIXED_NOW)
    assert "25 service weights set" in line and "17 answers for last month" in line
    first = _counts(db)
    assert first[0] > 30 * 7 * 20 and first[1] > 30 * 7 * 4  # 7 tellers, 30 days

    with db.read() as session:
        bj = session.scalar(select(Unit).where(Unit.code == "BJ"))
        assert bj is not None
        shown = pulse.results(session, bj.path, LAST_MONTH, "en").report
        weights = workload_demo.service_weights(session)
    assert [(r.key, r.respondents) for r in shown.rows] == [("BJ-HD-ZGC", 8)]
    assert shown.hidden_groups == 2 and shown.pooled is None and shown.total is None
    assert weights == {"A": 0.8, "B": 1.28, "C": 2.0, "V": 2.5, "K": 0.6}  # x-manyi.weight

    client = signed_in_client(db, "bj.head", demo.DEMO_PASSWORD)
    results = client.get(f"/workload/pulse/results?month={LAST_MONTH}")
    assert 'data-testid="unit-BJ-HD-ZGC"' in results.text and 'data-testid="hidden"' in results.text
    yesterday = (FIXED_NOW + dt.timedelta(hours=8)).date() - dt.timedelta(days=1)
    page = client.get(f"/workload?outlet=BJ-HD-ZGC&day={yesterday.isoformat()}")
    assert page.status_code == 200 and "张伟" in page.text and "刘洋" in page.text
    assert 'data-testid="tellers">2<' in page.text and 'data-testid="gini">—' not in page.text

    again = workload_demo.seed(db, FIXED_NOW + dt.timedelta(hours=3))
    assert again.startswith("teller workload: 0 service weights set, 0 served tickets")
    assert "0 answers" in again and _counts(db) == first
