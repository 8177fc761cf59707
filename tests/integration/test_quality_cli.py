"""`manyi quality import` and `manyi quality report` on a real database (both engines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from manyi.audit.tables import AuditEvent
from manyi.cli import app
from manyi.config import get_settings
from manyi.db import Database
from manyi.quality.reports import JSON_KEYS
from manyi.quality.tables import QualityResponse
from tests.conftest import FIXED_NOW, Bank

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

HEADER = "response_id,outlet,teller,service,channel,answered_at,csat,nps,ces,comment"
# Local times in Asia/Shanghai. r2 is 1 November 00:10 there but still 31 October in UTC.
KNOWN = [
    "r1,OUT-A,teller.a,A01,counter,2026-10-31T23:30:00+08:00,5,10,2,",
    "r2,OUT-A,teller.a,A01,counter,2026-11-01T00:10:00+08:00,4,9,3,柜员很耐心",
    'r3,OUT-A,,B02,lobby,2026-11-15T10:00:00+08:00,2,3,6,"等了很久,\n没人引导"',
    "r4,OUT-B,teller.b,A01,phone,2026-11-20T10:00:00Z,3,7,,",
    "r5,OUT-B,,,counter,2026-11-29T09:00:00+08:00,,,,只有评论",
]
OUT_A = {
    "key": "OUT-A",
    "responses": 3,
    "csat": 0.6667,
    "csat_ci95": [0.2077, 0.9385],
    "csat_mean": 3.6667,
    "nps": 33.3333,
    "nps_ci95": [-68.2296, 100.0],
    "ces_mean": 3.6667,
}
OUT_B = {
    "key": "OUT-B",
    "responses": 2,
    "csat": 0.0,
    "csat_ci95": [0.0, 0.7935],
    "csat_mean": 3.0,
    "nps": 0.0,
    "nps_ci95": [-100.0, 100.0],
    "ces_mean": None,
}


@pytest.fixture
def cli(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MANYI_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args))


def write(tmp_path: Path, *lines: str, name: str = "responses.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines, ""]), encoding="utf-8")
    return path


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(QualityResponse)) or 0


def report(cli: CliRunner, *args: str) -> list[dict[str, Any]]:
    result = run(cli, "quality", "report", *args, "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    return rows


def test_import_then_report_by_outlet_exact_keys_and_values(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    result = run(cli, "quality", "import", str(write(tmp_path, *KNOWN)), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "read 5, imported 5, already stored 0, bad 0" in result.output
    rows = report(cli, "--by", "outlet")
    assert all(tuple(row) == JSON_KEYS for row in rows)
    assert rows == [OUT_A, OUT_B]
    with db.session() as session:
        r3 = session.scalar(select(QualityResponse).where(QualityResponse.external_id == "r3"))
        assert r3 is not None and r3.comment == "等了很久,\n没人引导" and r3.teller_staff_id is None
        assert r3.source == "import" and r3.imported_batch and r3.unit_path.endswith("/")
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "quality.import"))
        (event,) = events.all()
        assert event.entity_id == r3.imported_batch
        assert json.loads(event.summary)["imported"] == 5


def test_reimporting_the_same_file_adds_nothing(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, *KNOWN)
    assert run(cli, "quality", "import", str(path), "--format", "csv").exit_code == 0
    again = run(cli, "quality", "import", str(path), "--format", "csv")
    assert again.exit_code == 0, again.output
    assert "read 5, imported 0, already stored 5, bad 0" in again.output
    assert stored(db) == 5
    assert report(cli, "--by", "outlet") == [OUT_A, OUT_B]


def test_a_bad_line_stores_nothing_and_names_line_and_field(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    lines = [
        *KNOWN[:2],
        "r6,OUT-A,teller.a,A01,counter,2026-11-02T10:00:00,4,,,",  # no offset: line 4
        "r7,OUT-A,nobody,A01,counter,2026-11-02T10:00:00+08:00,4,,,",  # unknown teller: line 5
        "r8,BR-A,,A01,counter,2026-11-02T10:00:00+08:00,9,,,",  # a branch, csat 9: line 6
    ]
    path = write(tmp_path, *lines)
    result = run(cli, "quality", "import", str(path), "--format", "csv")
    assert result.exit_code == 1
    assert f"{path}: line 4, answered_at: answered_at '2026-11-02T10:00:00' has no UTC offset" in (
        result.output
    )
    assert "line 5, teller: there is no staff member with the username nobody" in result.output
    assert "line 6, csat: csat 9 is outside 1–5" in result.output
    assert "3 bad line(s); nothing was imported" in result.output
    assert stored(db) == 0
    fixed = write(tmp_path, *lines[:2], lines[4].replace(",9,", ",4,"), name="fixed.csv")
    branch = run(cli, "quality", "import", str(fixed), "--format", "csv")
    assert branch.exit_code == 1 and "line 4, outlet: unit BR-A is a tier1_branch" in branch.output
    assert stored(db) == 0
    with db.session() as session:
        audited = select(func.count()).where(AuditEvent.action == "quality.import")
        assert session.scalar(audited) == 0


def test_skip_bad_stores_the_good_lines_and_lists_the_bad(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, *KNOWN, "r9,OUT-A,,,fax,2026-11-02T10:00:00+08:00,4,,,")
    result = run(cli, "quality", "import", str(path), "--format", "csv", "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "line 8, channel: 'fax' is not a channel" in result.output  # r3 spans two lines
    assert "read 6, imported 5, already stored 0, bad 1" in result.output
    assert stored(db) == 5


def test_an_unreadable_file_and_usage_errors(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,score\n1,5\n", encoding="utf-8")
    result = run(cli, "quality", "import", str(wrong), "--format", "csv")
    assert result.exit_code == 1 and "missing column(s) response_id" in result.output
    assert "nothing was imported" in result.output
    assert run(cli, "quality", "import", str(wrong), "--format", "xlsx").exit_code == 2
    assert run(cli, "quality", "report", "--from", "yesterday").exit_code == 2
    unknown = run(cli, "quality", "report", "--unit", "NOPE")
    assert unknown.exit_code == 1 and "there is no unit NOPE" in unknown.output
    assert stored(db) == 0


def test_excel_resaved_file_with_bom_and_crlf(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER, *KNOWN, ""])).encode("utf-8"))
    assert run(cli, "quality", "import", str(path), "--format", "csv").exit_code == 0
    gb = tmp_path / "gb18030.csv"
    gb.write_bytes("\r\n".join([HEADER, *KNOWN, ""]).encode("gb18030"))
    again = run(cli, "quality", "import", str(gb), "--format", "csv")
    assert "imported 0, already stored 5" in again.output  # the same responses, another encoding
    assert report(cli, "--by", "outlet") == [OUT_A, OUT_B]


def test_unit_subtree_and_groupings(cli: CliRunner, tmp_path: Path) -> None:
    assert (
        run(cli, "quality", "import", str(write(tmp_path, *KNOWN)), "--format", "csv").exit_code
        == 0
    )
    assert report(cli, "--by", "outlet", "--unit", "BR-A") == [OUT_A]
    assert report(cli, "--by", "outlet", "--unit", "SUB-B") == [OUT_B]
    assert report(cli, "--by", "outlet", "--unit", "HQ") == [OUT_A, OUT_B]
    tellers = report(cli, "--by", "teller")
    assert [(r["key"], r["responses"]) for r in tellers] == [
        ("teller.a", 2),
        ("teller.b", 1),
        (None, 2),
    ]
    services = report(cli, "--by", "service", "--unit", "OUT-A")
    assert [(r["key"], r["responses"]) for r in services] == [("A01", 2), ("B02", 1)]
    channels = report(cli, "--by", "channel")
    assert [(r["key"], r["responses"]) for r in channels] == [
        ("counter", 3),
        ("lobby", 1),
        ("phone", 1),
    ]
    only_comment = [
        r for r in report(cli, "--by", "channel", "--unit", "OUT-B") if r["key"] == "counter"
    ]
    assert only_comment == [
        {
            "key": "counter",
            "responses": 1,
            "csat": None,
            "csat_ci95": None,
            "csat_mean": None,
            "nps": None,
            "nps_ci95": None,
            "ces_mean": None,
        }
    ]


def test_months_are_local_to_the_bank_and_dates_inclusive(cli: CliRunner, tmp_path: Path) -> None:
    assert (
        run(cli, "quality", "import", str(write(tmp_path, *KNOWN)), "--format", "csv").exit_code
        == 0
    )
    months = report(cli, "--by", "month")
    # r2 was answered at 00:10 on 1 November in Shanghai (31 October in UTC): a November answer.
    assert [(m["key"], m["responses"]) for m in months] == [("2026-10", 1), ("2026-11", 4)]
    assert months[0]["csat"] == 1.0 and months[0]["nps"] == 100.0
    november = report(cli, "--by", "month", "--from", "2026-11-01", "--to", "2026-11-30")
    assert [(m["key"], m["responses"]) for m in november] == [("2026-11", 4)]
    assert november[0]["csat"] == 0.3333 and november[0]["nps_ci95"] == [-92.3936, 92.3936]
    first_day = report(cli, "--by", "outlet", "--from", "2026-11-01", "--to", "2026-11-01")
    assert [(r["key"], r["responses"]) for r in first_day] == [("OUT-A", 1)]  # r2 only
    october = report(cli, "--by", "month", "--to", "2026-10-31")
    assert [(m["key"], m["responses"]) for m in october] == [("2026-10", 1)]
    assert report(cli, "--by", "month", "--from", "2026-12-01") == []


def test_the_readable_table_marks_small_samples(cli: CliRunner, tmp_path: Path) -> None:
    assert (
        run(cli, "quality", "import", str(write(tmp_path, *KNOWN)), "--format", "csv").exit_code
        == 0
    )
    result = run(cli, "quality", "report", "--by", "outlet")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("outlet") and "CSAT" in lines[0] and "NPS" in lines[0]
    out_a = next(line for line in lines if line.startswith("OUT-A"))
    assert "66.7% [20.8%, 93.9%]" in out_a and "(small sample)" in out_a
    assert any(line.startswith("total") and " 5 " in line for line in lines)
    empty = run(cli, "quality", "report", "--from", "2026-12-01")
    assert empty.exit_code == 0 and "no responses" in empty.output
    assert FIXED_NOW.year == 2026  # the data above is before the fixed clock


def test_stored_sums_equal_the_raw_rows_whatever_the_grouping(db: Database, bank: Bank) -> None:
    """The SQL sums behind every report add up to what the raw rows give, exactly."""
    import datetime as dt
    import random

    from manyi.quality import reports
    from manyi.quality.domain.aggregate import Aggregate
    from manyi.quality.store import NewResponse, insert_responses, outlet_ref

    rng = random.Random(1017)
    with db.session() as session:
        refs = {code: outlet_ref(session, code) for code in ("OUT-A", "OUT-B")}
        rows = []
        for k in range(400):
            code = rng.choice(["OUT-A", "OUT-B"])
            outlet_id, path = refs[code]
            rows.append(
                NewResponse(
                    source=rng.choice(["survey", "rating_pad"]),
                    external_id=f"s{k}",
                    outlet_id=outlet_id,
                    unit_path=path,
                    channel=rng.choice(["counter", "lobby"]),
                    answered_at=FIXED_NOW - dt.timedelta(hours=rng.randrange(24 * 90)),
                    csat=rng.choice([None, 1, 2, 3, 4, 5]),
                    nps=rng.choice([None, *range(11)]),
                    ces=rng.choice([None, *range(1, 8)]),
                )
            )
        assert insert_responses(session, rows) == 400
        assert insert_responses(session, rows[:50]) == 0  # stored once
    whole = Aggregate.total(Aggregate.of(r.csat, r.nps, r.ces) for r in rows)
    with db.read() as session:
        for by in reports.By:
            found = reports.report(session, by, tz="Asia/Shanghai")
            assert Aggregate.total(r.aggregate for r in found) == whole, by
        assert reports.total(session, tz="Asia/Shanghai") == whole
        out_a = reports.total(session, tz="UTC", scope_path=refs["OUT-A"][1])
        by_outlet = {
            r.key: r.aggregate for r in reports.report(session, reports.By.OUTLET, tz="UTC")
        }
    for code in refs:
        mine = [r for r in rows if r.outlet_id == refs[code][0]]
        assert by_outlet[code] == Aggregate.total(Aggregate.of(r.csat, r.nps, r.ces) for r in mine)
    assert out_a == by_outlet["OUT-A"]


@pytest.mark.parametrize(
    "bad", [{"csat": 6}, {"csat": 0}, {"nps": 11}, {"ces": 8}, {"source": "x"}, {"trigger": "y"}]
)
def test_the_table_refuses_scores_off_their_scales(
    db: Database, bank: Bank, bad: dict[str, Any]
) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    row = {
        "source": "survey",
        "external_id": "x1",
        "outlet_id": bank.unit("OUT-A"),
        "unit_path": "/1/",
        "channel": "counter",
        "answered_at": FIXED_NOW,
        **bad,
    }
    with pytest.raises(IntegrityError), db.session() as session:
        session.execute(insert(QualityResponse).values(**row))
