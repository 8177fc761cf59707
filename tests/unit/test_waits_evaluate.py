"""The event CSV, the replay's scores and `manyi waits evaluate` (no database)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from manyi.forecast import synthetic
from manyi.forecast.cli_waits import app
from manyi.forecast.evaluate import evaluate
from manyi.forecast.eventlog import COLUMNS, LogFormatError, Visit, read_events, write_events
from manyi.forecast.replay import Arrival, WaitEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ",".join(COLUMNS)
runner = CliRunner()


class Constant:
    """A predictor that always says the same."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.seconds = name, seconds

    def observe(self, event: WaitEvent) -> None:
        return None

    def predict(self, ticket: Arrival, at: dt.datetime) -> float:
        return self.seconds


GOOD = f"""{HEADER}
t1,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:40,2026-03-02T10:06:00,served,1
t2,OUT,A,vip,2026-03-02T10:01:00,2026-03-02T10:06:00,2026-03-02T10:10:00,served,1
t3,OUT,A,normal,2026-03-02T10:02:00,2026-03-02T10:10:20,2026-03-02T10:15:00,served,2
t4,OUT,A,normal,2026-03-02T10:03:00,,2026-03-02T10:30:00,abandoned,
t5,OUT,A,normal,2026-03-02T10:04:00,2026-03-02T10:20:00,2026-03-02T10:21:30,no_show,2
"""


def test_scores_by_hand() -> None:
    log = read_events(GOOD, SHANGHAI)
    assert not log.errors
    # Served waits: 100 s, 300 s, 500 s; the abandoned and the no-show are not scored.
    result = evaluate(
        log.visits, {"c300": lambda: Constant("c300", 300), "c0": lambda: Constant("c0", 0)}
    )
    c300, c0 = result.scores["c300"], result.scores["c0"]
    assert c300.n == 3
    assert c300.mae_s == pytest.approx(400 / 3)  # |200| + 0 + |−200|
    assert c300.rmse_s == pytest.approx(math.sqrt(80_000 / 3))
    assert c300.within_2min == pytest.approx(1 / 3)
    assert c0.mae_s == pytest.approx(300)  # (100 + 300 + 500) / 3
    assert c0.rmse_s == pytest.approx(math.sqrt((100**2 + 300**2 + 500**2) / 3))
    assert c0.within_2min == pytest.approx(1 / 3)
    assert result.best == "c300"
    # Every ticket gets a prediction; only served ones carry the actual wait.
    rows = [(p.ticket_id, p.actual_wait_s) for p in result.predictions if p.predictor == "c0"]
    assert rows == [("t1", 100), ("t2", 300), ("t3", 500), ("t4", None), ("t5", None)]


def test_times_without_offset_are_local_and_offsets_are_kept() -> None:
    text = f"""{HEADER}
a,OUT,A,normal,2026-03-02T10:00:00,2026-03-02 10:05:00,2026-03-02T02:10:00Z,served,1
b,OUT,A,normal,2026-03-02T10:00:00+09:00,,2026-03-02T10:30:00+09:00,cancelled,
"""
    visits = read_events(text, SHANGHAI).visits
    assert visits[0].issued_at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert visits[0].wait_s == 300
    assert visits[0].finished_at == dt.datetime(2026, 3, 2, 2, 10, tzinfo=dt.UTC)
    assert visits[1].issued_at == dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    # Read as UTC, the local times of row a move eight hours; its end (in UTC) does not.
    utc = read_events(text, ZoneInfo("UTC"))
    assert [str(e) for e in utc.errors] == ["line 2: finished_at: before called_at"]
    assert utc.visits[0].issued_at == visits[1].issued_at


BAD = f"""{HEADER}
ok1,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,2026-03-02T10:05:00,served,1
b1,OUT,A,normal,yesterday,2026-03-02T10:01:00,2026-03-02T10:05:00,served,1
b2,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T09:59:00,2026-03-02T10:05:00,served,1
b3,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,2026-03-02T10:05:00,left,1
ok1,OUT,A,normal,2026-03-02T10:02:00,2026-03-02T10:03:00,2026-03-02T10:05:00,served,1
b5,OUT,,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,2026-03-02T10:05:00,served,1

b6,OUT,A,normal,2026-03-02T10:00:00,,2026-03-02T10:05:00,served,
b7,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,2026-03-02T10:05:00,served,
b8,OUT,A,normal,2026-03-02T10:00:00
b9,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,2026-03-02T10:00:30,served,1
b10,OUT,A,normal,2026-03-02,,2026-03-02T10:05:00,abandoned,
ok2,OUT,A,normal,2026-03-02T10:10:00,2026-03-02T10:12:00,2026-03-02T10:15:00,served,1
"""


def test_bad_rows_are_reported_with_their_line_numbers_and_skipped() -> None:
    log = read_events(BAD, SHANGHAI)
    assert [v.ticket_id for v in log.visits] == ["ok1", "ok2"]
    assert [str(e) for e in log.errors] == [
        "line 3: issued_at: not an ISO 8601 date and time: 'yesterday'",
        "line 4: called_at: before issued_at",
        "line 5: outcome: unknown outcome 'left'; expected one of served, abandoned, "
        "no_show, cancelled",
        "line 6: ticket_id: duplicate of line 2",
        "line 7: service: required",
        "line 9: called_at: required when the outcome is served",
        "line 10: counter: required when called_at is given",
        "line 11: row: has 5 fields, the header has 9",
        "line 12: finished_at: before called_at",
        "line 13: issued_at: not an ISO 8601 date and time: '2026-03-02'",
    ]


def test_the_header_may_reorder_columns_but_not_lack_one() -> None:
    reordered = (
        "outcome,counter,ticket_id,outlet,service,priority_class,issued_at,called_at,"
        "finished_at,note\nserved,1,a,OUT,A,normal,2026-03-02T10:00:00,2026-03-02T10:01:00,"
        "2026-03-02T10:02:00,x\n"
    )
    assert read_events(reordered, SHANGHAI).visits[0].counter == "1"
    with pytest.raises(LogFormatError, match="lacks counter"):
        read_events(HEADER.removesuffix(",counter") + "\n", SHANGHAI)
    with pytest.raises(LogFormatError):
        read_events("", SHANGHAI)


def test_written_events_read_back_the_same() -> None:
    visits = [
        Visit(
            v.ticket_id,
            v.outlet,
            v.service,
            v.priority_class,
            v.issued_at.replace(microsecond=0),
            v.called_at.replace(microsecond=0) if v.called_at else None,
            v.finished_at.replace(microsecond=0),
            v.outcome,
            v.counter,
        )
        for v in synthetic.generate(seed=2, days=1)
    ]
    text = "".join(write_events(visits, SHANGHAI))
    assert "+08:00" in text.splitlines()[1]
    log = read_events("\ufeff" + text, SHANGHAI)  # as Excel saves it: with a BOM
    assert not log.errors
    assert [dataclasses.replace(v, line=0) for v in log.visits] == visits


# --- the command ----------------------------------------------------------------------


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_cli_prints_a_table_and_reports_bad_rows_on_stderr(events_csv: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(events_csv)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["predictor", "n", "MAE", "s", "RMSE", "s", "within", "2", "min"]
    assert [line.split()[0] for line in lines[1:5]] == ["v0", "les", "queue", "learned"]
    assert all(line.split()[1] == "2" for line in lines[1:5])
    assert lines[-1].startswith("best: ")
    assert f"{events_csv}: line 3: issued_at:" in result.stderr
    assert f"{events_csv}: line 13: issued_at:" in result.stderr
    assert "10 bad row(s) skipped" in result.stderr


def test_cli_json_has_exactly_the_documented_shape(events_csv: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(events_csv), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"predictors", "best", "naive80"}
    assert set(data["naive80"]) == {"coverage80", "width80_s"}
    assert list(data["predictors"]) == ["v0", "les", "queue", "learned"]
    for score in data["predictors"].values():
        assert set(score) == {"n", "mae_s", "rmse_s", "within_2min", "coverage80", "width80_s"}
        assert score["n"] == 2
        assert 0 <= score["within_2min"] <= 1
    assert data["best"] in data["predictors"]
    one = json.loads(
        runner.invoke(app, ["evaluate", str(events_csv), "--json", "--predictor", "les"]).stdout
    )
    assert list(one["predictors"]) == ["les"] and one["best"] == "les"


def test_cli_writes_every_prediction(events_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["evaluate", str(events_csv), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["ticket_id", "predictor", "predicted_wait_s", "actual_wait_s"]
    assert len(rows) == 2 * 4
    assert {(r["ticket_id"], r["actual_wait_s"]) for r in rows} == {("ok1", "60"), ("ok2", "120")}
    les = [r for r in rows if r["predictor"] == "les"]
    assert [r["predicted_wait_s"] for r in les] == ["0", "60"]


def test_cli_refuses_bad_options_and_files(events_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(events_csv), "--predictor", "oracle"])
    assert result.exit_code == 2
    assert "--predictor" in result.stderr and "oracle" in result.stderr
    result = runner.invoke(app, ["evaluate", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert runner.invoke(app, ["evaluate", str(binary)]).exit_code == 2
    assert runner.invoke(app, ["evaluate", str(tmp_path)]).exit_code == 2
    result = runner.invoke(app, ["evaluate", str(events_csv), "--timezone", "Mars/Base"])
    assert result.exit_code == 2 and "--timezone" in result.stderr
    headless = tmp_path / "headless.csv"
    headless.write_text("a,b,c\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(headless)])
    assert result.exit_code == 2 and "line 1" in result.stderr


def test_cli_on_an_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["best"] is None
    assert data["predictors"]["v0"] == {
        "n": 0,
        "mae_s": None,
        "rmse_s": None,
        "within_2min": None,
        "coverage80": None,
        "width80_s": None,
    }
    assert "no served ticket" in runner.invoke(app, ["evaluate", str(path)]).stdout
