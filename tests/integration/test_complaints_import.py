"""`manyi complaints import` and `manyi complaints stats` on a real database."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from manyi.cli import app
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.config import get_settings
from manyi.db import Database
from tests.conftest import Bank

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

DATA = Path(__file__).resolve().parents[1] / "data" / "complaints"
SAMPLE = DATA / "cfpb_payday_loan_complaints.csv.gz"  # the shared real sample, compressed
MAPPING = Path(__file__).resolve().parents[2] / "src/manyi/complaints/mappings/example-bank.yaml"
HEADER = (
    "Date received,Product,Sub-product,Issue,Sub-issue,Consumer complaint narrative,"
    "Company public response,Company,State,ZIP code,Tags,Consumer consent provided?,"
    "Submitted via,Date sent to company,Company response to consumer,Timely response?,"
    "Consumer disputed?,Complaint ID\n"
)


@pytest.fixture
def cli(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args))


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def cfpb_row(
    complaint_id: str,
    date: str = "03/22/23",
    narrative: str = "",
    response: str = "Closed with explanation",
) -> str:
    return (
        f'{date},"Payday loan, title loan, or personal loan",Payday loan,'
        f'Charged fees or interest you didn\'t expect,None,"{narrative}",None,Example Inc.,TX,'
        f"75001,None,Consent provided,Web,{date},{response},Yes,N/A,{complaint_id}\n"
    )


def test_a_file_with_problems_imports_its_good_rows_once(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    body = (
        HEADER
        + cfpb_row("101", narrative="Line one\nline two of the story")
        + cfpb_row("102")  # no narrative: still a complaint
        + cfpb_row("103", date="13/45/23")  # bad date
        + cfpb_row("101")  # repeated in the file
        + cfpb_row("", date="03/23/23")  # no id
        + cfpb_row("104", response="In progress")
    ).encode() + cfpb_row("105", narrative="caf\xe9").encode("latin-1")  # not UTF-8
    path = tmp_path / "export.csv"
    path.write_bytes(body)
    first = run(cli, "complaints", "import", str(path), "--format", "cfpb", "--unit", "OUT-A")
    assert first.exit_code == 0, first.output
    assert "read 7, imported 3, skipped 3, duplicates 1" in first.output
    assert "line 5" in first.output and "Date received" in first.output  # after a 2-line narrative
    assert "line 9" in first.output and "UTF-8" in first.output
    again = run(cli, "complaints", "import", str(path), "--format", "cfpb", "--unit", "OUT-A")
    assert "imported 0, skipped 3, duplicates 4" in again.output
    with db.session() as session:
        rows = {c.external_id: c for c in session.scalars(select(Complaint))}
        assert set(rows) == {"101", "102", "104"}
        assert rows["101"].state == "closed" and rows["101"].close_reason == "imported"
        assert rows["101"].description == "Line one\nline two of the story"
        assert rows["104"].state == "registered" and rows["104"].breached  # open, long overdue
        assert rows["104"].next_check_at is not None  # the deadline scan takes it up
        assert "regulator" in rows["102"].flags
        assert session.scalar(select(func.count()).select_from(ComplaintEvent)) == 3


def test_a_file_that_is_not_an_export_imports_nothing(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("name,amount\nx,1\n", encoding="utf-8")
    result = run(cli, "complaints", "import", str(path), "--format", "cfpb")
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert "Complaint ID" in result.output
    assert stored(db) == 0
    assert run(cli, "complaints", "import", str(path), "--format", "xml").exit_code == 2
    assert (
        run(
            cli,
            "complaints",
            "import",
            str(DATA / "cfpb_small.csv"),
            "--format",
            "cfpb",
            "--unit",
            "NOPE",
        ).exit_code
        == 1
    )


def test_a_bank_export_through_a_mapping(cli: CliRunner, db: Database) -> None:
    result = run(
        cli,
        "complaints",
        "import",
        str(DATA / "bank_export_gb18030.csv"),
        "--format",
        "csv",
        "--mapping",
        str(MAPPING),
    )
    assert result.exit_code == 0, result.output
    assert stored(db) > 0


def test_the_real_cfpb_sample_and_its_statistics(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    sample = tmp_path / "cfpb_payday_loan_complaints.csv"
    sample.write_bytes(gzip.decompress(SAMPLE.read_bytes()))
    result = run(cli, "complaints", "import", str(sample), "--format", "cfpb")
    assert "read 2827, imported 2827, skipped 0, duplicates 0" in result.output
    months = json.loads(run(cli, "complaints", "stats", "--by", "month", "--json").output)
    assert sum(m["count"] for m in months) == 2827
    assert [m["key"] for m in months] == sorted(m["key"] for m in months)
    assert months[0]["change"] is None and isinstance(months[1]["change"], float)
    causes = json.loads(run(cli, "complaints", "stats", "--by", "cause", "--json").output)
    assert sum(c["count"] for c in causes) == 2827 and causes[0]["count"] >= causes[-1]["count"]
    text = run(cli, "complaints", "stats", "--by", "business_type").output
    assert "贷款" in text and "2827" in text
