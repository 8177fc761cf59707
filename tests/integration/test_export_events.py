"""`manyi lobby export-events`: an outlet's visits from the lobby tables, as the event CSV
that `manyi waits evaluate` reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from manyi.config import get_settings
from manyi.db import Database
from manyi.forecast import cli_waits
from manyi.forecast.evaluate import evaluate
from manyi.forecast.eventlog import read_events
from manyi.forecast.predictors import PREDICTORS
from manyi.lobby import cli as lobby_cli
from manyi.lobby import counters, service, transfers
from tests.conftest import Bank, add_staff
from tests.lobby_helpers import T0, configure, operator

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

MIN = dt.timedelta(minutes=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def act(db: Database, who: str, action: object, *args: object, **kw: object) -> object:
    with db.session() as session:
        return action(session, operator(session, who), *args, **kw)  # type: ignore[operator]


def issue(db: Database, code: str, at: dt.datetime, klass: str = "normal") -> int:
    with db.session() as session:
        issued = service.issue_ticket(
            session, operator(session, "lobby.a"), "OUT-A", code, at, klass=klass
        )
        return int(issued.ticket.id)


@pytest.fixture
def day(db: Database, bank: Bank) -> dict[str, int]:
    """A morning at OUT-A: served, transferred then served, cancelled, no-show, waiting."""
    configure(db, bank.unit("OUT-A"))
    add_staff(db, bank, "lobby.a")
    t = {}
    t["served"] = issue(db, "A", T0)
    act(db, "teller.a", counters.open_counter, "OUT-A", 1, T0 + MIN)
    act(db, "teller.a", counters.call_next, "OUT-A", 1, T0 + 2 * MIN)
    act(db, "teller.a", counters.complete, "OUT-A", 1, T0 + 7 * MIN)
    t["transferred"] = issue(db, "B", T0 + 3 * MIN)
    t["cancelled"] = issue(db, "A", T0 + 4 * MIN, klass="green")
    act(db, "lobby.a", service.cancel, t["cancelled"], T0 + 6 * MIN)
    act(db, "teller.a", counters.call_next, "OUT-A", 1, T0 + 8 * MIN)  # the B ticket
    act(db, "teller.a", transfers.transfer, "OUT-A", 1, T0 + 10 * MIN, service_code="A")
    act(db, "teller.a", counters.call_next, "OUT-A", 1, T0 + 11 * MIN)  # its second leg
    act(db, "teller.a", counters.complete, "OUT-A", 1, T0 + 15 * MIN)
    t["no_show"] = issue(db, "A", T0 + 12 * MIN)
    act(db, "teller.a", counters.call_next, "OUT-A", 1, T0 + 16 * MIN)
    act(db, "teller.a", counters.recall, "OUT-A", 1, T0 + 17 * MIN)
    act(db, "teller.a", counters.no_show, "OUT-A", 1, T0 + 18 * MIN)
    t["waiting"] = issue(db, "B", T0 + 19 * MIN)
    # The next day: a ticket cancelled while waiting.
    t["next_day"] = issue(db, "A", T0 + dt.timedelta(days=1))
    act(db, "lobby.a", service.cancel, t["next_day"], T0 + dt.timedelta(days=1, minutes=5))
    return t


def export(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(lobby_cli.app, ["export-events", *args])


def local(delta: dt.timedelta) -> str:
    return (T0 + delta).astimezone(SHANGHAI).isoformat()


def test_export_writes_one_row_per_finished_visit(cli: CliRunner, day: dict[str, int]) -> None:
    result = export(cli, "OUT-A", "--from", "2026-11-30", "--to", "2026-11-30")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "ticket_id,outlet,service,priority_class,issued_at,called_at,finished_at,outcome,counter"
    )
    t = {k: str(v) for k, v in day.items()}
    assert lines[1:] == [
        f"{t['served']},OUT-A,A,normal,{local(0 * MIN)},{local(2 * MIN)},{local(7 * MIN)},served,1",
        # Both legs are one visit: first leg's service, first call, last leg's end.
        f"{t['transferred']},OUT-A,B,normal,{local(3 * MIN)},{local(8 * MIN)},"
        f"{local(15 * MIN)},served,1",
        f"{t['cancelled']},OUT-A,A,green,{local(4 * MIN)},,{local(6 * MIN)},cancelled,",
        f"{t['no_show']},OUT-A,A,normal,{local(12 * MIN)},{local(16 * MIN)},"
        f"{local(18 * MIN)},no_show,1",
    ]
    assert "+08:00" in lines[1]
    assert "1 visit(s) not yet ended were left out" in result.stderr


def test_export_covers_every_local_day_of_the_range(cli: CliRunner, day: dict[str, int]) -> None:
    result = export(cli, "OUT-A", "--from", "2026-11-30", "--to", "2026-12-01")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 5
    assert rows[-1].startswith(f"{day['next_day']},OUT-A,A,normal,2026-12-01T10:00:00+08:00,,")
    result = export(cli, "OUT-A", "--from", "2026-12-01", "--to", "2026-12-01")
    assert len(result.stdout.splitlines()) == 2
    result = export(cli, "OUT-A", "--from", "2026-12-02", "--to", "2026-12-31")
    assert result.stdout.splitlines() == [result.stdout.splitlines()[0]]


def test_the_reader_accepts_the_export(cli: CliRunner, day: dict[str, int], tmp_path: Path) -> None:
    result = export(cli, "OUT-A", "--from", "2026-11-30", "--to", "2026-12-01")
    log = read_events(result.stdout, SHANGHAI)
    assert not log.errors
    assert [v.ticket_id for v in log.visits] == [
        str(day[k]) for k in ("served", "transferred", "cancelled", "no_show", "next_day")
    ]
    assert [v.wait_s for v in log.visits] == [120, 300, None, 240, None]
    scores = evaluate(log.visits, PREDICTORS).scores
    assert {name: s.n for name, s in scores.items()} == dict.fromkeys(PREDICTORS, 2)
    path = tmp_path / "events.csv"
    path.write_text(result.stdout, encoding="utf-8")
    scored = CliRunner().invoke(cli_waits.app, ["evaluate", str(path), "--json"])
    assert scored.exit_code == 0, scored.output
    assert scored.stderr == ""


def test_export_refuses_bad_input(cli: CliRunner, day: dict[str, int]) -> None:
    result = export(cli, "NOPE", "--from", "2026-11-30", "--to", "2026-11-30")
    assert result.exit_code == 1 and "NOPE" in result.stderr
    result = export(cli, "OUT-A", "--from", "2026-12-01", "--to", "2026-11-30")
    assert result.exit_code == 2 and "--to" in result.stderr
    result = export(cli, "OUT-A", "--from", "30.11.2026", "--to", "2026-11-30")
    assert result.exit_code == 2
    result = export(cli, "SUB-A", "--from", "2026-11-30", "--to", "2026-11-30")
    assert result.exit_code == 1  # a sub-branch is not an outlet
