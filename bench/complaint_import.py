"""`manyi complaints import` of 100,000 CFPB-format rows, on SQLite and PostgreSQL.

Prints figures only (goal: at most 60 s). The rows are generated in the
public CFPB export's columns, with the real sample's Issue labels and a
narrative on every tenth row; one row in 200 is still open ("In progress").
For scale, the same run times parsing alone, and a second import of the
same file (every row a duplicate: nothing is added).

PostgreSQL: --database-url (default MANYI_BENCH_DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench). Its public schema
is DROPPED and recreated: point it at a scratch database. --sqlite-only skips it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from manyi import audit
from manyi.complaints.access import system_caller
from manyi.complaints.importer import import_file
from manyi.complaints.imports.formats import parse_file
from manyi.db import Database, upgrade
from manyi.org import service as units
from manyi.org.model import UnitLevel

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
HEADER = [
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
]
ISSUES = [
    "Charged fees or interest you didn't expect",
    "Struggling to pay your loan",
    "Getting the loan",
    "Problem with the payoff process at the end of the loan",
    "Incorrect information on your report",
    "Can't contact lender or servicer",
    "Received a loan you didn't apply for",
    "Problem when making payments",
]
STORY = (
    "I took out a loan of {$500.00} and was charged fees I did not expect.\nThey would not explain."
)


def generate(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    start = dt.date(2023, 1, 1)
    for i in range(n):
        day = start + dt.timedelta(days=i % 240)
        writer.writerow(
            [
                f"{day:%m/%d/%y}",
                "Payday loan, title loan, or personal loan",
                "Installment loan",
                ISSUES[i % len(ISSUES)],
                "None",
                STORY if i % 10 == 0 else "",
                "None",
                "Example Lending Inc.",
                "TX",
                "75001",
                "Older American" if i % 7 == 0 else "None",
                "Consent provided",
                "Web" if i % 3 else "Phone",
                f"{day:%m/%d/%y}",
                "In progress" if i % 200 == 0 else "Closed with explanation",
                "Yes",
                "N/A",
                str(5_000_000 + i),
            ]
        )
    return out.getvalue().encode()


def prepare(url: str, *, reset: bool) -> Database:
    if reset:
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        units.create_unit(
            session,
            audit.Actor(id=None, name="bench"),
            units.UnitFields(code="HQ", level=UnitLevel.HEAD_OFFICE, name_zh="总行"),
        )
    return db


def measure(name: str, db: Database, data: bytes) -> None:
    caller = system_caller("bench")
    started = time.perf_counter()
    first = import_file(db, caller, data, "cfpb", unit_code=None, now=NOW)
    took = time.perf_counter() - started
    print(
        f"{name}: import {took:.1f} s (goal <= 60 s), {first.read / took:,.0f} rows/s"
        f" — {first.line()}"
    )
    started = time.perf_counter()
    again = import_file(db, caller, data, "cfpb", unit_code=None, now=NOW)
    print(f"{name}: the same file again {time.perf_counter() - started:.1f} s — {again.line()}")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("MANYI_BENCH_DATABASE_URL", PG_DEFAULT)
    )
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    data = generate(args.rows)
    print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    started = time.perf_counter()
    parsed = parse_file(data, "cfpb")
    print(f"parsing alone: {time.perf_counter() - started:.1f} s ({len(parsed.records):,} records)")
    sqlite = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    measure("SQLite", prepare(sqlite, reset=False), data)
    if not args.sqlite_only:
        measure("PostgreSQL", prepare(args.database_url, reset=True), data)


if __name__ == "__main__":
    main()
