"""Calendar months of the lobby-event partitions (pure).

A partition holds the events whose `at` (UTC) falls in one calendar month, [first day 00:00
UTC, first day of the next month 00:00 UTC). UTC and not local time: the bounds are the
database's, and a partition boundary has no business meaning (a local day near midnight spans
two partitions, which the archive handles by exporting rows, not days).
"""

from __future__ import annotations

import datetime as dt
import re

SCHEMA = "lobby_event_months"  # where the partitions live, out of the models' schema
DEFAULT_PARTITION = "lobby_events_default"  # rows outside every prepared month
_NAME = re.compile(r"^m(\d{4})_(\d{2})$")


def month_of(when: dt.date | dt.datetime) -> dt.date:
    return dt.date(when.year, when.month, 1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    following = add_months(month, 1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=dt.UTC)


def partition_name(month: dt.date) -> str:
    return f"m{month.year:04d}_{month.month:02d}"


def month_of_name(name: str) -> dt.date | None:
    match = _NAME.match(name)
    return dt.date(int(match[1]), int(match[2]), 1) if match else None


def parse_month(text: str) -> dt.date:
    """'2026-12' → 2026-12-01; ValueError says what a month looks like."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{text!r} is not a month (use YYYY-MM, e.g. 2025-01)")
    return dt.date(int(match[1]), int(match[2]), 1)


def months_ahead(now: dt.datetime, ahead: int) -> list[dt.date]:
    """This month and the `ahead` months after it: what the worker keeps prepared."""
    first = month_of(now)
    return [add_months(first, n) for n in range(ahead + 1)]


def retention_cutoff(now: dt.datetime, retention_months: int) -> dt.date:
    """The first month kept: partitions of months before it are archived and dropped. With 24
    months kept, on 2026-12-05 the cutoff is 2024-12 (2024-12 … 2026-12 are 25 partitions:
    the current month is never counted as a complete one)."""
    return add_months(month_of(now), -retention_months)
