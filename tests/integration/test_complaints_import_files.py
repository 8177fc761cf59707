"""`manyi complaints import` on files as Excel and WPS save them: .xlsx, UTF-8 BOM, GB18030."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from manyi.cli import app
from manyi.complaints.tables import Complaint
from manyi.config import get_settings
from manyi.db import Database
from tests.conftest import Bank
from tests.spreadsheet_files import (
    cfpb_header,
    cfpb_rows,
    excel_csv_ansi,
    excel_csv_utf8,
    excel_layout,
    resaved,
    us_date,
    wps_csv,
    xlsx_bytes,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

ROWS = 60


@pytest.fixture
def cli(
    db: Database, bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(cli: CliRunner, path: Path, *args: str) -> Result:
    return cli.invoke(app, ["complaints", "import", str(path), *args])


def stored(db: Database) -> dict[str, dt.date]:
    """External id → the local day of receipt, of every stored complaint."""
    with db.session() as session:
        rows = session.execute(
            select(Complaint.external_id, Complaint.received_at, Complaint.timezone)
        )
        return {
            external_id: received.astimezone(ZoneInfo(zone)).date()
            for external_id, received, zone in rows
        }


def test_the_export_resaved_as_a_workbook_and_as_csv_lands_once(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    rows = cfpb_rows(ROWS, start=100)
    expected = {r["Complaint ID"]: us_date(r["Date received"]) for r in rows}
    book = tmp_path / "export.xlsx"
    book.write_bytes(xlsx_bytes(cfpb_header(), rows, dates="cells"))
    first = run(cli, book, "--format", "cfpb")
    assert first.exit_code == 0, first.output
    assert "read as Excel workbook, sheet 'Sheet1'" in first.output
    assert f"read {ROWS}, imported {ROWS}, skipped 0, duplicates 0" in first.output
    assert stored(db) == expected
    # Re-importing, as the workbook or as the CSVs Excel and WPS save of it, adds nothing.
    again = run(cli, book, "--format", "cfpb")
    assert f"imported 0, skipped 0, duplicates {ROWS}" in again.output
    for name, writer in (
        ("utf8.csv", excel_csv_utf8),
        ("ansi.csv", excel_csv_ansi),
        ("wps.csv", wps_csv),
    ):
        path = tmp_path / name
        path.write_bytes(writer(cfpb_header(), resaved(rows)))
        result = run(cli, path, "--format", "cfpb")
        assert result.exit_code == 0, result.output
        assert f"read {ROWS}, imported 0, skipped 0, duplicates {ROWS}" in result.output
    serials = tmp_path / "serials.xlsx"
    serials.write_bytes(xlsx_bytes(cfpb_header(), rows, dates="general", epoch_1904=True))
    assert (
        f"imported 0, skipped 0, duplicates {ROWS}" in run(cli, serials, "--format", "cfpb").output
    )
    assert stored(db) == expected


def bank_rows() -> tuple[list[str], list[dict[str, str]]]:
    header = ["工单号", "受理日期", "受理渠道", "投诉摘要", "投诉内容", "办结状态"]
    rows = [
        {
            "工单号": f"TS2019{i:04d}",
            "受理日期": f"2019/{1 + i % 12}/{1 + i % 28}",
            "受理渠道": "电话" if i % 2 else "柜面",
            "投诉摘要": f"排队时间长，第{i}件",
            "投诉内容": "客户反映：\n" + row["Issue"],
            "办结状态": "已办结",
        }
        for i, row in enumerate(cfpb_rows(20, start=300), start=1)
    ]
    return header, rows


MAPPING = """\
columns: {external_id: 工单号, received_on: 受理日期, intake: 受理渠道, subject: 投诉摘要,
          description: 投诉内容, closed: 办结状态}
values:
  intake: {电话: hotline, 柜面: counter}
  closed: {已办结: true, 处理中: false}
"""


@pytest.mark.parametrize("saved_by", ["excel-utf8", "excel-ansi", "wps", "xlsx"])
def test_a_banks_export_with_a_bad_row(
    cli: CliRunner, db: Database, tmp_path: Path, saved_by: str
) -> None:
    header, rows = bank_rows()
    rows[4]["受理日期"] = "04/05/2019"  # on row/line 6: ambiguous
    rows[7]["受理日期"] = "2019年2月30日"  # no such day
    mapping = tmp_path / "mapping.yaml"
    # A mapping written in Notepad on Chinese Windows may be GBK too.
    mapping.write_bytes(MAPPING.encode("gbk" if saved_by == "wps" else "utf-8"))
    writers = {"excel-utf8": excel_csv_utf8, "excel-ansi": excel_csv_ansi, "wps": wps_csv}
    if saved_by == "xlsx":
        path = tmp_path / "投诉工单.xlsx"
        path.write_bytes(excel_layout(xlsx_bytes(header, rows, dates="cells")))
        ambiguous, no_day = "row 6", "row 9"
    else:
        path = tmp_path / "投诉工单.csv"
        path.write_bytes(writers[saved_by](header, rows))
        ambiguous, no_day = "line 10", "line 16"  # two lines per record
    result = run(cli, path, "--format", "csv", "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert "read 20, imported 18, skipped 2, duplicates 0" in result.output
    assert f"{ambiguous}, 受理日期: 受理日期 '04/05/2019' is ambiguous" in result.output
    assert f"{no_day}, 受理日期: 受理日期 '2019年2月30日' is not a date" in result.output
    days = stored(db)
    assert len(days) == 18 and days["TS20190001"] == dt.date(2019, 2, 2)
    with db.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.external_id == "TS20190002"))
        assert complaint is not None
        assert complaint.subject == "排队时间长，第2件" and complaint.intake == "counter"
        assert complaint.description.startswith("客户反映：\n")
    assert "imported 0" in run(cli, path, "--format", "csv", "--mapping", str(mapping)).output


def test_files_that_cannot_be_imported_store_nothing(
    cli: CliRunner, db: Database, tmp_path: Path
) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    result = run(cli, old, "--format", "cfpb")
    assert result.exit_code == 1 and "Excel 97–2003" in result.output
    assert "nothing was imported" in result.output
    book = tmp_path / "book.xlsx"
    book.write_bytes(xlsx_bytes(cfpb_header(), cfpb_rows(3)))
    missing = run(cli, book, "--format", "cfpb", "--sheet", "投诉")
    assert missing.exit_code == 1 and "no sheet '投诉' (its sheets: 'Sheet1')" in missing.output
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        wps_csv(
            ["external_id", "received_on", "subject"],
            [{"external_id": "A", "received_on": "2019/4/4", "subject": "收费"}],
        )
    )
    wrong = run(cli, gbk, "--format", "csv", "--encoding", "utf-8")
    assert wrong.exit_code == 0  # the header is ASCII; the row is refused by line and field
    assert "line 2, subject: contains bytes that are not valid UTF-8" in wrong.output
    assert "name it with --encoding" in wrong.output
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_bytes(
        excel_csv_utf8(
            ["external_id", "received_on"],
            [
                {"external_id": "A", "received_on": "04/05/2019"},
                {"external_id": "B", "received_on": "05/04/2019"},
            ],
        )
    )
    refused = run(cli, ambiguous, "--format", "csv")
    assert "read 2, imported 0, skipped 2" in refused.output
    assert "line 3, received_on: received_on '05/04/2019' is ambiguous" in refused.output
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0
