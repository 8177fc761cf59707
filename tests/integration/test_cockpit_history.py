"""A previous queue system's daily figures (`manyi cockpit import-history`), on both engines:
imported days fill the ticket figures of days without lobby events in manyi (beside manyi's
other measures of the day), manyi's events win for a day that has them, a recomputation from
nothing neither wipes nor double-counts them; a bad file names the line and field and stores
nothing; the demo's year is plausible."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from manyi.cli import app
from manyi.cockpit.domain import demo_history, histogram
from manyi.cockpit.domain.history import REQUIRED, HistoryError, parse, to_csv
from manyi.cockpit.tables import CockpitDaily, CockpitImportedDaily, CockpitUnitDaily
from manyi.db import Database
from tests.cockpit_helpers import TZ, bj, surveys, ticket
from tests.conftest import FIXED_NOW, Bank
from tests.integration.test_cockpit_rollups import full_recomputation, snapshot
from tests.lobby_helpers import configure

pytestmark = pytest.mark.usefixtures("frozen_clock")
D0, D1 = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
HEADER = ",".join(REQUIRED)


def line(outlet: str, day: dt.date, issued: int = 10, served: int = 8) -> str:
    # 8 called: waits adding up to 8 × 5 minutes, 6 within target; service 8 × 6 minutes.
    return f"{outlet},{day},{issued},{served},1,1,8,2400,6,8,2880"


@pytest.fixture
def cli(db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for outlet in ("OUT-A", "OUT-B"):
        configure(db, bank.unit(outlet))
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_TIMEZONE", TZ)
    return CliRunner()


def imported(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(CockpitImportedDaily)) or 0)


def test_imported_days_fill_the_gaps_raw_facts_win(
    db: Database, bank: Bank, cli: CliRunner, tmp_path: Path
) -> None:
    ticket(db, bank, "OUT-A", bj(D1, 9), wait_min=3)  # D1 has tickets at OUT-A
    surveys(db, "OUT-A", bj(D0, 14), [5, 4, 2], "s")  # D0 survey answers, no ticket
    path = tmp_path / "old-queue.csv"
    rows = [line("OUT-A", D0), line("OUT-A", D1, issued=99, served=8), line("OUT-B", D1)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    done = cli.invoke(app, ["cockpit", "import-history", str(path)])
    assert done.exit_code == 0, done.output
    assert "3 outlet-days imported from old-queue.csv" in done.output
    with db.read() as session:
        a0 = session.get_one(CockpitDaily, (bank.unit("OUT-A"), D0))
        a1 = session.get_one(CockpitDaily, (bank.unit("OUT-A"), D1))
        b1 = session.get_one(CockpitDaily, (bank.unit("OUT-B"), D1))
        assert (a0.issued, a0.served, a0.wait_mean_s, a0.service_level) == (10, 8, 300, 0.75)
        assert a0.abandonment == 0.2 and a0.service_mean_s == 360 and a0.counter_open_s is None
        assert a0.wait_p90_s is None  # no histogram in the file: percentiles skip the day
        assert (a0.survey_n, a0.survey_top) == (3, 2)  # manyi's other measures beside them
        assert (a1.issued, a1.wait_sum_s) == (1, 180)  # manyi's tickets win: not 99, not 100
        assert b1.issued == 10 and b1.unit_path.endswith(f"/{bank.unit('OUT-B')}/")
        bank_day = session.get_one(CockpitUnitDaily, (bank.unit("HQ"), D1))
        assert (bank_day.issued, bank_day.outlet_days) == (11, 2)  # the levels count them
    kept = snapshot(db)
    assert kept == full_recomputation(db)  # neither wiped nor counted twice
    again = cli.invoke(app, ["cockpit", "import-history", str(path)])  # the same file again
    assert again.exit_code == 0, again.output
    assert snapshot(db) == kept and imported(db) == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([line("OUT-A", D0), "OUT-A,2026-11-31,1,1,0,0,1,60,1,1,60"], "line 3: day:"),
        ([line("OUT-A", D0), "OUT-A,2026-11-25,1,x,0,0,1,60,1,1,60"], "line 3: served: 'x'"),
        ([line("OUT-A", D0), line("OUT-A", D0)], "line 3: day: OUT-A 2026-11-26 is on line 2"),
        ([line("OUT-A", D0, issued=5)], "line 2: issued: fewer than served"),
        ([line("OUT-A", D0), line("NOPE", D1)], "line 3: outlet: there is no outlet 'NOPE'"),
        ([line("SUB-A", D1)], "line 2: outlet: there is no outlet 'SUB-A'"),  # a branch
    ],
)
def test_a_bad_file_names_line_and_field_and_stores_nothing(
    db: Database, cli: CliRunner, tmp_path: Path, body: list[str], words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    done = cli.invoke(app, ["cockpit", "import-history", str(path)])
    assert done.exit_code == 2 and words in done.output, done.output
    assert "nothing imported" in done.output and imported(db) == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CockpitDaily)) == 0


def test_the_header_and_the_histogram() -> None:
    with pytest.raises(HistoryError, match="line 1: wait_within: missing from the header"):
        parse("outlet,day,issued,served,no_shows,cancellations,wait_n,wait_sum_s\n")
    with pytest.raises(HistoryError, match="line 1: w01: the histogram needs"):
        parse(f"{HEADER},w00\n{line('OUT-A', D0)},8\n")
    cells = ",".join(["0", "0", "0", "0", "8"] + ["0"] * (histogram.BUCKETS - 5))
    days = parse(f"{HEADER},{','.join(histogram.COLUMNS)}\n{line('OUT-A', D0)},{cells}\n")
    assert days[0].sums["w04"] == 8 and parse(to_csv(days)) == days
    wrong = cells.replace("8", "7", 1)
    with pytest.raises(HistoryError, match="line 2: w00…w20: they add up to wait_n"):
        parse(f"{HEADER},{','.join(histogram.COLUMNS)}\n{line('OUT-A', D0)},{wrong}\n")


def test_the_demo_year_is_plausible() -> None:
    last = FIXED_NOW.date()
    holidays = {dt.date(2026, 10, d) for d in range(1, 8)}
    days = demo_history.year(["A", "B"], last, holidays.__contains__)
    assert len(days) == 2 * (365 - 7) and not {d.day for d in days} & holidays
    text = to_csv(days)
    assert parse(text) == [
        type(d)(i + 2, d.outlet, d.day, d.sums) for i, d in enumerate(days)
    ]  # the file the demo imports passes the import's checks
    a = [d for d in days if d.outlet == "A"]
    monday = [d.sums["issued"] for d in a if d.day.weekday() == 0 and d.day.day not in range(5, 9)]
    sunday = [d.sums["issued"] for d in a if d.day.weekday() == 6 and d.day.day not in range(5, 9)]
    assert sum(monday) / len(monday) > 1.5 * sum(sunday) / len(sunday)
    pension = [d for d in a if d.day.day in range(5, 9)]
    mean = sum(d.sums["wait_sum_s"] for d in pension) / sum(d.sums["wait_n"] for d in pension)
    usual = sum(d.sums["wait_sum_s"] for d in a) / sum(d.sums["wait_n"] for d in a)
    assert mean > 1.2 * usual  # pension days wait longer
    for d in a:
        assert sum(d.sums[c] for c in histogram.COLUMNS) == d.sums["wait_n"]
