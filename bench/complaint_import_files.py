"""The real CFPB export as a spreadsheet leaves it, through `manyi complaints import`.

Takes the shared export (default ../shared/data/cfpb_payday_loan_complaints.csv, 2,827
complaints), rewrites its dates the way Excel and WPS on Chinese Windows show them (2019/4/4),
and saves it in a temporary folder as an .xlsx with text dates, an .xlsx with date cells, and a
GB18030 CSV with CRLF line ends. Each is imported by the `manyi complaints import` command (a
child process, as a user runs it) into a fresh SQLite database; the first import of each must
store every row, the ones after it none. Prints the command's summary and the time of each run
(a child process: the time includes starting Python and manyi), and for scale the time the
parser alone takes in this process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from manyi import audit
from manyi.complaints.imports.formats import parse_file
from manyi.db import Database, upgrade
from manyi.org import service as units
from manyi.org.model import UnitLevel

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/cfpb_payday_loan_complaints.csv"
DATES = ("Date received", "Date sent to company")


def slashed(text: str) -> str:
    day = dt.datetime.strptime(text, "%m/%d/%y").date()
    return f"{day.year}/{day.month}/{day.day}"


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    header = next(reader)
    at = [header.index(name) for name in DATES]
    rows = []
    for row in reader:
        for i in at:
            row[i] = slashed(row[i])
        rows.append(row)
    return header, rows


def workbook(header: list[str], rows: list[list[str]], *, date_cells: bool) -> bytes:
    # Not write_only: that mode writes inline strings, Excel and WPS write a shared-string
    # table, which openpyxl reads several times faster.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "complaints"
    sheet.append(header)
    at = [header.index(name) for name in DATES]
    ident = header.index("Complaint ID")
    for row in rows:
        values: list[object] = list(row)
        values[ident] = int(row[ident])  # Excel turns the ids into numbers on opening
        if date_cells:
            for i in at:
                values[i] = dt.datetime.strptime(row[i], "%Y/%m/%d")
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def gbk_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("gb18030")


def database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'import.sqlite3'}"
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        units.create_unit(
            session,
            audit.Actor(id=None, name="bench"),
            units.UnitFields(code="HQ", level=UnitLevel.HEAD_OFFICE, name_zh="总行"),
        )
    db.dispose()
    return url


def run_import(url: str, folder: Path, path: Path) -> None:
    env = os.environ | {"MANYI_DATABASE_URL": url, "MANYI_VAR_DIR": str(folder / "var")}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own command, arguments we built)
        [sys.executable, "-m", "manyi.cli", "complaints", "import", str(path), "--format", "cfpb"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    summary = done.stdout.strip().replace("\n", " — ")
    print(f"{path.name}: {took:.1f} s (exit {done.returncode}) — {summary}")
    if done.stderr.strip():
        print("  " + "\n  ".join(done.stderr.strip().splitlines()[:5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    header, rows = read(args.export)
    print(f"{args.export.name}: {len(rows):,} complaints, dates rewritten as {rows[0][0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "text-dates.xlsx": workbook(header, rows, date_cells=False),
            "date-cells.xlsx": workbook(header, rows, date_cells=True),
            "gbk.csv": gbk_csv(header, rows),
        }
        for name, data in files.items():
            (folder / name).write_bytes(data)
            started = time.perf_counter()
            parsed = parse_file(data, "cfpb")
            took = time.perf_counter() - started
            print(
                f"{name}: {len(data) / 1e6:.1f} MB, parsed in {took:.2f} s "
                f"({len(parsed.records):,} records, {len(parsed.errors)} errors, "
                f"read as {parsed.read_as})"
            )
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "manyi.cli", "--help"], capture_output=True)
        print(f"starting the command alone (manyi --help): {time.perf_counter() - started:.1f} s")
        url = database(folder)
        for name in files:
            run_import(url, folder, folder / name)
        run_import(url, folder, folder / "text-dates.xlsx")


if __name__ == "__main__":
    main()
