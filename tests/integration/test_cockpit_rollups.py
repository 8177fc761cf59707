"""The cockpit's roll-ups (`cockpit.rollups`) kept incrementally over a sequence of writes
equal a full recomputation from the raw facts, on both engines; re-running a day changes
nothing; late facts (a ticket served after midnight, a complaint filed for an old day) land on
the right day; measures an outlet does not have stay NULL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from manyi.cockpit import rollups
from manyi.cockpit.tables import (
    CockpitDaily,
    CockpitHourly,
    CockpitOutletMonthly,
    CockpitOutletRecent,
    CockpitOutletWindow,
    CockpitRollupDirty,
    CockpitRollupState,
    CockpitUnitDaily,
)
from manyi.db import Database
from tests.cockpit_helpers import TZ, bj, event, finish_late, surveys, ticket
from tests.complaint_bank import build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.insight_helpers import file_case
from tests.lobby_helpers import configure

pytestmark = pytest.mark.usefixtures("frozen_clock")
TARGET = 900
D1, D2, D3 = dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 29)


# The outlet rows and every table kept from them (branches' and the bank's days, each
# outlet's window, recent days and months): all must equal a recomputation from nothing.
KEPT = (CockpitHourly, CockpitDaily, CockpitUnitDaily, CockpitOutletWindow, CockpitOutletRecent,
        CockpitOutletMonthly)  # fmt: skip


def snapshot(db: Database) -> tuple[list[Any], ...]:
    with db.session() as session:
        return tuple(
            [
                dict(r._mapping)
                for r in session.execute(
                    select(*table.__table__.c).order_by(*table.__table__.primary_key)
                )
            ]
            for table in KEPT
        )


def full_recomputation(db: Database, now: dt.datetime = FIXED_NOW) -> tuple[list[Any], ...]:
    with db.session() as session:
        for table in (*KEPT, CockpitRollupDirty, CockpitRollupState):
            session.execute(delete(table))
    rollups.run_pass(db, TZ, TARGET, now)
    return snapshot(db)


def daily(db: Database, bank: Bank, outlet: str, day: dt.date) -> CockpitDaily | None:
    with db.session() as session:
        found = session.get(CockpitDaily, (bank.unit(outlet), day))
        if found is not None:
            session.expunge(found)
        return found


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    for outlet in ("OUT-A", "OUT-B"):
        configure(db, bank.unit(outlet))
    return bank


def test_incremental_equals_full_and_late_facts_land_right(db: Database, lobby: Bank) -> None:
    bank = lobby
    a = bank.unit("OUT-A")
    cb = build_complaint_bank(db, bank)
    # Day 1 at OUT-A: a counter open 9:00–12:00, three customers; OUT-B has nothing yet.
    event(db, a, "counter_opened", bj(D1, 9), counter_id=1)
    ticket(db, bank, "OUT-A", bj(D1, 9, 5), wait_min=4, serve_min=6)
    ticket(db, bank, "OUT-A", bj(D1, 10, 0), wait_min=20, serve_min=10, klass="vip")
    ticket(db, bank, "OUT-A", bj(D1, 10, 30), wait_min=None, outcome="cancelled")
    event(db, a, "counter_closed", bj(D1, 12), counter_id=1)
    first = rollups.run_pass(db, TZ, TARGET, FIXED_NOW)
    assert first.days >= 1 and not first.busy
    one = daily(db, bank, "OUT-A", D1)
    assert one is not None
    assert (one.issued, one.served, one.cancellations, one.wait_n) == (3, 2, 1, 2)
    assert one.wait_mean_s == 12 * 60 and one.wait_within == 1 and one.service_level == 0.5
    assert one.counter_open_s == 3 * 3600 and one.busy_s == 16 * 60
    assert one.abandonment == pytest.approx(1 / 3)
    # Measures OUT-A does not have stay NULL, not zero.
    assert one.bundles_finished is None and one.ratings_n is None and one.survey_n is None
    assert one.appointments_booked is None and one.complaints == 0
    # Day 2: a ticket called at 23:50 and served after midnight counts on day 2; a complaint
    # filed today for day 1 lands on day 1; survey answers on day 2; OUT-B opens.
    late = ticket(db, bank, "OUT-A", bj(D2, 23, 40), wait_min=10, outcome=None)
    ticket(db, bank, "OUT-B", bj(D2, 11), wait_min=30, serve_min=3, code="B")
    rollups.run_pass(db, TZ, TARGET, FIXED_NOW)
    finish_late(db, late, bj(D2, 24, 5))
    file_case(db, cb, None, bj(D1, 15), unit="OUT-A")
    surveys(db, "OUT-A", bj(D2, 14), [5, 4, 2], "s")
    ticket(db, bank, "OUT-A", bj(D3, 9), wait_min=2, serve_min=2, outcome="transferred")
    rollups.run_pass(db, TZ, TARGET, FIXED_NOW)
    two = daily(db, bank, "OUT-A", D2)
    assert two is not None and two.served == 1 and two.service_sum_s == 15 * 60
    assert (two.survey_n, two.survey_sum, two.survey_top) == (3, 11, 2)
    one = daily(db, bank, "OUT-A", D1)
    assert one is not None and one.complaints == 1 and one.complaint_rate == 10_000 / 2
    assert daily(db, bank, "OUT-A", D3) is not None
    incremental = snapshot(db)
    # The bank, both tier-1 and both tier-2 branches have days; OUT-A its window and 3 days.
    units, windows, recent, monthly = incremental[2:]
    hq = bank.unit("HQ")
    assert {(r["unit_id"], r["day"]) for r in units} >= {(hq, D1), (hq, D2), (hq, D3)}
    assert [r["issued"] for r in windows if r["outlet_id"] == a] == [5]
    assert [r["day"] for r in recent if r["outlet_id"] == a] == [D3, D2, D1]
    november = D1.replace(day=1)
    assert [(r["month"], r["issued"]) for r in monthly if r["outlet_id"] == a] == [(november, 5)]
    assert incremental == full_recomputation(db)
    # Re-running a day (the CLI's path) changes nothing.
    with db.session() as session:
        assert rollups.mark_days(session, TZ, TARGET, [D1, D2]) == 3
    rollups.run_pass(db, TZ, TARGET, FIXED_NOW)
    assert snapshot(db) == incremental
    # A day later the window moves (settled) and OUT-B has a customer in a new month: still
    # what a recomputation from nothing gives.
    ticket(db, bank, "OUT-B", bj(D3 + dt.timedelta(days=1), 9), wait_min=50, serve_min=2)
    december = D3 + dt.timedelta(days=2)
    ticket(db, bank, "OUT-B", bj(december, 8), wait_min=5, serve_min=2)
    later = FIXED_NOW + dt.timedelta(days=1)
    rollups.run_pass(db, TZ, TARGET, later)
    moved = snapshot(db)
    assert {r["last_day"] for r in moved[3]} == {D3 + dt.timedelta(days=1)}
    b = bank.unit("OUT-B")
    assert [(r["month"], r["issued"]) for r in moved[5] if r["outlet_id"] == b] == [
        (november, 2),
        (december, 1),
    ]
    assert moved == full_recomputation(db, later)


def test_a_changed_target_rebuilds(db: Database, lobby: Bank) -> None:
    ticket(db, lobby, "OUT-A", bj(D1, 9), wait_min=12)
    rollups.run_pass(db, TZ, TARGET, FIXED_NOW)
    assert (row := daily(db, lobby, "OUT-A", D1)) is not None and row.wait_within == 1
    rollups.run_pass(db, TZ, 600, FIXED_NOW)
    assert (row := daily(db, lobby, "OUT-A", D1)) is not None and row.wait_within == 0


def test_cli_rollup_days(db: Database, lobby: Bank, monkeypatch: pytest.MonkeyPatch) -> None:
    from manyi.cli import app

    ticket(db, lobby, "OUT-A", bj(D1, 9), wait_min=3)
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_TIMEZONE", TZ)
    runner = CliRunner()
    done = runner.invoke(app, ["cockpit", "rollup"])
    assert done.exit_code == 0, done.output
    assert "1 recomputed" in done.output
    again = runner.invoke(app, ["cockpit", "rollup", "--day", D1.isoformat()])
    assert again.exit_code == 0 and "1 outlet-days of 1 days re-run" in again.output
    for args, words in (
        (["--day", "2026-13-01"], "--day: '2026-13-01' is not a date"),
        (["--from", "2026-11-02", "--to", "2026-11-01"], "is before --from"),
        (["--from", "2026-11-02"], "--from and --to go together"),
    ):
        bad = runner.invoke(app, ["cockpit", "rollup", *args])
        assert bad.exit_code == 2 and words in bad.output
