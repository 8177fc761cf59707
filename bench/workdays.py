"""What the bank's working-day calendar costs: a deadline status on the package's calendar and on
the bank's (a year entered), and one read of the calendar per unit of work (the version row,
then the cache) against rebuilding it after a save.

Prints figures only. Uses a scratch SQLite database in a temporary directory.

    PYTHONPATH=src python bench/workdays.py [--cases 20000] [--reads 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from manyi import audit
from manyi.complaints.domain.deadlines import ClockEvent, ClockKind, deadline_status
from manyi.complaints.domain.policies import PRESETS
from manyi.db import Database, upgrade
from manyi.workdays import calendars, entry
from manyi.workdays.demo import DEMO_2027
from manyi.workdays.domain import PACKAGE_CALENDARS, BankCalendar, Calendars
from manyi.workdays.domain.notice import parse_notice

POLICY = PRESETS["cbirc-2020-workdays"]
START = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def per_status(cases: int, chosen: Calendars) -> float:
    """Microseconds per deadline status of an open case received in December 2026."""
    histories = [
        [ClockEvent(ClockKind.RECEIVED, START + dt.timedelta(hours=i % 700))] for i in range(cases)
    ]
    now = START + dt.timedelta(days=30)
    began = time.perf_counter()
    for events in histories:
        deadline_status(events, POLICY, now, "Asia/Shanghai", chosen)
    return (time.perf_counter() - began) / cases * 1e6


def per_read(database: Database, reads: int) -> float:
    """Microseconds per `bank_calendar(session)` in a read-only unit of work (cache hit)."""
    with database.read() as session:
        calendars.bank_calendar(session)
        began = time.perf_counter()
        for _ in range(reads):
            calendars.bank_calendar(session)
        return (time.perf_counter() - began) / reads * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=2_000)
    args = parser.parse_args()

    bank = Calendars(cn=BankCalendar(parse_notice(2027, DEMO_2027), [2027]))
    package_us = per_status(args.cases, PACKAGE_CALENDARS)
    bank_us = per_status(args.cases, bank)
    print(f"deadline status, {args.cases} open working-day cases into 2027:")
    print(f"  package calendar (2027 guessed)  {package_us:8.1f} µs per case")
    print(f"  bank calendar (2027 entered)     {bank_us:8.1f} µs per case")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        database = Database(url)
        try:
            with database.session() as session:
                entry.save_year(
                    session,
                    audit.Actor(id=None, name="bench"),
                    2027,
                    DEMO_2027,
                    START,
                    level="head_office",
                )
            calendars.forget()
            with database.read() as session:
                began = time.perf_counter()
                calendars.bank_calendar(session)
                rebuild_ms = (time.perf_counter() - began) * 1e3
            hit_us = per_read(database, args.reads)
        finally:
            database.dispose()
    print("the bank's calendar in a unit of work (SQLite):")
    print(f"  rebuilt after a save             {rebuild_ms:8.2f} ms")
    print(f"  cached (one read of the version) {hit_us:8.1f} µs")


if __name__ == "__main__":
    main()
