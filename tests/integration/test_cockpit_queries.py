"""The cockpit's read layer (`cockpit.queries`) on both engines: figures from roll-ups built
from raw tickets, the league table and trend of a unit, the outlets furthest from target and
the alerts; the data scope (a branch's manager never sees another branch's outlets); and a
head-office query over many outlets that reads roll-ups only, in a fixed number of statements."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import delete, event, func, insert, select

from manyi.cockpit import level_queries, overview, queries, summaries, teller_queries
from manyi.cockpit.domain import histogram
from manyi.cockpit.domain.targets import Targets
from manyi.cockpit.tables import (
    CockpitDaily,
    CockpitOutletRecent,
    CockpitOutletWindow,
    CockpitRollupState,
    CockpitUnitDaily,
)
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.org.tables import Unit
from tests.cockpit_helpers import TZ, bj, roll_two_outlets
from tests.conftest import Bank

pytestmark = pytest.mark.usefixtures("frozen_clock")
DAYS = [dt.date(2026, 11, 24) + dt.timedelta(days=i) for i in range(4)]  # 24–27 November
PERIOD = queries.Period(DAYS[0], DAYS[-1])
GOAL = Targets(alert_days=3)


def path(db: Database, bank: Bank, code: str) -> str:
    with db.session() as session:
        return session.get_one(Unit, bank.unit(code)).path


@pytest.fixture
def rolled(db: Database, bank: Bank) -> Bank:
    return roll_two_outlets(db, bank, DAYS)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def tables_read(seen: list[str]) -> set[str]:
    return {m.lower() for s in seen for m in re.findall(r"(?:FROM|JOIN)\s+\"?(\w+)", s, re.I)}


def test_figures_league_trend_target_and_alerts(db: Database, rolled: Bank) -> None:
    bank, hq = rolled, path(db, rolled, "HQ")
    with db.read() as session:
        top = queries.headline(session, hq, bank.unit("HQ"), PERIOD)
        assert (top.get("issued"), top.get("served"), top.outlets) == (16, 16, 2)
        assert top.wait_mean_s == pytest.approx(60 * (4 + 6 + 25 + 40) / 4)
        assert top.service_level == 0.5 and top.abandonment == 0
        assert top.complaints_per_outlet == 0 and top.satisfaction is None
        assert top.forms_saved is None  # no counter bundles anywhere: not zero
        # p90 of waits 4, 6, 25, 40 min (four of each): in 40's bucket (30–40 min).
        assert top.wait_p90_s is not None and 1800 < top.wait_p90_s <= 2400
        lines = queries.league(session, hq, bank.unit("HQ"), PERIOD, sort="wait_mean_s")
        assert [line.code for line in lines] == ["BR-B", "BR-A"]  # slowest first
        assert lines[0].totals.wait_mean_s == 32.5 * 60 and lines[1].totals.outlets == 1
        ascending = queries.league(
            session, hq, bank.unit("HQ"), PERIOD, sort="wait_mean_s", descending=False
        )
        assert [line.code for line in ascending] == ["BR-A", "BR-B"]
        assert queries.league(session, hq, bank.unit("OUT-A"), PERIOD) == []
        days = queries.trend(session, hq, bank.unit("BR-A"), PERIOD)
        assert [d for d, _ in days] == DAYS
        assert all(t.wait_mean_s == 300 and t.outlets == 1 for _, t in days)
        far = queries.furthest_from_target(session, hq, bank.unit("HQ"), PERIOD, GOAL)
        assert [(f.code, f.worst) for f in far] == [("OUT-B", "wait_mean_s")]
        assert far[0].distance == pytest.approx(32.5 / 15 - 1)  # 32.5 minutes against 15
        raised = queries.alerts(session, hq, bank.unit("HQ"), DAYS[-1], GOAL)
        assert [(a.code, a.days) for a in raised] == [("OUT-B", tuple(DAYS[-3:]))]
        people = teller_queries.tellers(
            session, hq, bank.unit("OUT-A"), bj(DAYS[0], 0), bj(DAYS[-1], 24)
        )
        assert [(p.name, p.served, p.service_mean_s, p.busy_s) for p in people] == [
            ("柜员甲", 8, 300, 8 * 300)
        ]


def test_the_page_overview_and_hourly_profile(db: Database, rolled: Bank) -> None:
    bank, hq, branch_a = rolled, path(db, rolled, "HQ"), path(db, rolled, "BR-A")
    with db.read() as session:
        assert overview.unit_by_code(session, hq, None) == bank.unit("HQ")
        assert overview.unit_by_code(session, branch_a, None) == bank.unit("BR-A")
        assert overview.unit_by_code(session, branch_a, "OUT-A") == bank.unit("OUT-A")
        for code in ("OUT-B", "HQ", "NO-SUCH"):
            with pytest.raises(NotFound):
                overview.unit_by_code(session, branch_a, code)
        page = overview.overview(session, branch_a, bank.unit("OUT-A"), PERIOD, GOAL)
        assert [c.code for c in page.crumbs] == ["BR-A", "SUB-A", "OUT-A"]  # from the own unit
        assert page.headline.wait_mean_s == 300 and page.league == [] and len(page.trend) == 4
        assert page.furthest == [] and page.alerts == []
        whole = overview.overview(session, hq, bank.unit("HQ"), PERIOD, GOAL, sort="served")
        assert [c.code for c in whole.crumbs] == ["HQ"] and len(whole.league) == 2
        assert [a.code for a in whole.alerts] == ["OUT-B"]
        hours = overview.hourly_profile(session, hq, bank.unit("HQ"), PERIOD)
        assert sorted(hours) == [10, 11]  # issued at 10:00 and 11:00 each day
        assert hours[10].get("issued") == 8 and hours[10].wait_mean_s == 60 * (4 + 25) / 2
        assert hours[11].wait_mean_s == 60 * (6 + 40) / 2
        mine = overview.hourly_profile(session, branch_a, bank.unit("BR-A"), PERIOD)
        assert mine[10].get("issued") == 4 and mine[10].wait_mean_s == 240
        with pytest.raises(NotFound):
            overview.hourly_profile(session, branch_a, bank.unit("HQ"), PERIOD)


def test_the_data_scope(db: Database, rolled: Bank) -> None:
    bank = rolled
    branch_a, outlet_a = path(db, bank, "BR-A"), path(db, bank, "OUT-A")
    with db.read() as session:
        lines = queries.league(session, branch_a, bank.unit("BR-A"), PERIOD)
        assert [line.code for line in lines] == ["SUB-A"]
        mine = queries.headline(session, branch_a, bank.unit("BR-A"), PERIOD)
        assert mine.get("issued") == 8 and mine.wait_mean_s == 300
        assert (
            queries.furthest_from_target(session, branch_a, bank.unit("BR-A"), PERIOD, GOAL) == []
        )
        assert queries.alerts(session, branch_a, bank.unit("BR-A"), DAYS[-1], GOAL) == []
        for scope, unit in ((branch_a, "HQ"), (branch_a, "OUT-B"), (outlet_a, "SUB-A")):
            with pytest.raises(NotFound):
                queries.headline(session, scope, bank.unit(unit), PERIOD)
            with pytest.raises(NotFound):
                queries.league(session, scope, bank.unit(unit), PERIOD)
        with pytest.raises(InvalidInput):
            queries.league(session, branch_a, bank.unit("BR-A"), PERIOD, sort="issued_at; drop")
        with pytest.raises(InvalidInput):
            teller_queries.tellers(
                session, branch_a, bank.unit("BR-A"), bj(DAYS[0], 0), bj(DAYS[0], 24)
            )
    with pytest.raises(InvalidInput):
        queries.Period(DAYS[1], DAYS[0])


def test_head_office_over_many_outlets_reads_roll_ups_only(db: Database, bank: Bank) -> None:
    """300 outlets × 28 days of roll-up rows (written directly: no raw facts at all); the
    head office's figures equal the sums, in the same few statements whatever the count."""
    rng = random.Random(21)
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(28)]
    with db.session() as session:
        parent = session.get_one(Unit, bank.unit("SUB-B"))
        outlets = []
        for k in range(300):
            unit = Unit(
                code=f"X{k:03d}", parent_id=parent.id, level="outlet", name_zh=f"网点{k}", path=""
            )
            session.add(unit)
            session.flush()
            unit.path = f"{parent.path}{unit.id}/"
            outlets.append((unit.id, unit.path))
        rows, issued, waits = [], 0, [0] * histogram.BUCKETS
        for outlet_id, unit_path in outlets:
            for day in days:
                counts = [rng.randrange(3) for _ in range(histogram.BUCKETS)]
                n = sum(counts)
                issued += n
                waits = histogram.merge([waits, counts])
                rows.append({"outlet_id": outlet_id, "day": day, "unit_path": unit_path,
                             "tier1_id": bank.unit("BR-B"), "tier2_id": bank.unit("SUB-B"),
                             "issued": n, "served": n, "no_shows": 0, "cancellations": 0,
                             "transfers": 0, "wait_sum_s": 300 * n, "wait_n": n,
                             "wait_within": n, "service_sum_s": 0, "service_n": 0,
                             "complaints": rng.randrange(2),
                             **dict(zip(histogram.COLUMNS, counts, strict=True))})  # fmt: skip
        session.execute(insert(CockpitDaily), rows)
        # The levels above the outlet, the window and the recent days, as the pass keeps them.
        session.add(CockpitRollupState(id=1, tz=TZ, target_s=900, settled_day=days[-1]))
        summaries.rebuild(session, days[-1])
    hq, period = path(db, bank, "HQ"), queries.Period(days[0], days[-1])
    with db.read() as session, statements(db) as seen:
        top = queries.headline(session, hq, bank.unit("HQ"), period)
        lines = queries.league(session, hq, bank.unit("HQ"), period, sort="complaints_per_outlet")
        series = queries.trend(session, hq, bank.unit("HQ"), period)
        far = queries.furthest_from_target(session, hq, bank.unit("HQ"), period, GOAL)
        queries.alerts(session, hq, bank.unit("HQ"), days[-1], GOAL)
    assert top.get("issued") == issued and top.outlets == 302  # every outlet of the bank
    assert top.wait_p90_s == histogram.percentile(waits, 0.9)
    assert top.complaints_per_outlet == pytest.approx(sum(r["complaints"] for r in rows) / 302)
    assert lines[0].code == "BR-B" and lines[0].totals.outlets == 301
    assert len(series) == 28 and far == []  # 5-minute waits, all within target
    read = tables_read(seen)
    # Head office reads the levels, the window and the recent days; outlet rows only for the
    # twenty furthest from target (none here).
    assert read and read <= {
        "cockpit_unit_daily", "cockpit_outlet_window", "cockpit_outlet_recent",
        "cockpit_rollup_state", "units",
    }, read  # fmt: skip
    assert len(seen) <= 20, seen  # a fixed number of statements, not one per outlet


def test_the_levels_answer_as_the_outlet_rows_do(
    db: Database, rolled: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every figure read from the levels, the window, the recent days and the months equals
    the one summed from `cockpit_daily` (then read without them: the read layer falls back to
    the outlet rows)."""
    bank, hq = rolled, path(db, rolled, "HQ")
    settled = DAYS[-1] + dt.timedelta(days=2)  # FIXED_NOW's yesterday
    window = queries.Period(settled - dt.timedelta(days=27), settled)
    # Months in part and whole: November's days added (PERIOD); November less its days
    # outside (the window: the 1st and the 30th; to the 25th: the 26th and 27th have rows);
    # October, November and December whole.
    periods = (PERIOD, window, queries.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 25)),
               queries.Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31)))  # fmt: skip
    goal = Targets(wait_mean_s=600, alert_days=2)

    def everything() -> list[Any]:
        with db.read() as session:
            seen = []
            for code in ("HQ", "BR-A", "BR-B", "SUB-B", "OUT-B"):
                unit = bank.unit(code)
                for period in periods:
                    seen += [
                        queries.headline(session, hq, unit, period),
                        queries.league(session, hq, unit, period),
                        queries.trend(session, hq, unit, period),
                        queries.furthest_from_target(session, hq, unit, period, goal),
                    ]
                seen += [queries.alerts(session, hq, unit, d, goal) for d in (DAYS[-1], settled)]
            return seen

    with db.read() as session:  # HQ, two tier-1 and two tier-2 branches, four days
        assert session.scalar(select(func.count()).select_from(CockpitUnitDaily)) == 5 * 4
        assert session.scalar(select(func.count()).select_from(CockpitOutletWindow)) == 2
        assert session.scalar(select(func.count()).select_from(CockpitOutletRecent)) == 2 * 4
    fast = everything()
    assert any(isinstance(v, list) and v and isinstance(v[0], queries.Alert) for v in fast)
    monkeypatch.setattr(level_queries, "has_rows", lambda unit: False)
    monkeypatch.setattr(level_queries, "furthest_figures", lambda *a: None)
    with db.session() as session:  # no settled day: neither the window nor the recent days
        session.execute(delete(CockpitRollupState))
    slow = everything()
    for k, (a, b) in enumerate(zip(slow, fast, strict=True)):
        assert a == b, (k, a, b)
