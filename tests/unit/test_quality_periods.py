"""The satisfaction page's periods: days, ISO weeks, months and quarters, cut by the range."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.quality.domain.periods import MAX_BUCKETS, Period, buckets, previous

D = dt.date


def labels(start: dt.date, end: dt.date, period: Period) -> list[tuple[str, dt.date]]:
    return [(b.label, b.first) for b in buckets(start, end, period)]


def test_months_and_quarters_are_calendar_ones_cut_by_the_range() -> None:
    assert labels(D(2026, 10, 15), D(2026, 12, 2), Period.MONTH) == [
        ("2026-10", D(2026, 10, 15)),
        ("2026-11", D(2026, 11, 1)),
        ("2026-12", D(2026, 12, 1)),
    ]
    assert labels(D(2025, 12, 1), D(2026, 4, 1), Period.QUARTER) == [
        ("2025-Q4", D(2025, 12, 1)),
        ("2026-Q1", D(2026, 1, 1)),
        ("2026-Q2", D(2026, 4, 1)),
    ]


def test_weeks_are_iso_weeks_starting_monday() -> None:
    # 1 January 2027 is a Friday: it belongs to ISO week 53 of 2026.
    assert labels(D(2026, 12, 30), D(2027, 1, 5), Period.WEEK) == [
        ("2026-W53", D(2026, 12, 30)),
        ("2027-W01", D(2027, 1, 4)),
    ]


def test_days_and_the_limit() -> None:
    assert [b.label for b in buckets(D(2026, 2, 27), D(2026, 3, 1), Period.DAY)] == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
    ]
    assert len(buckets(D(2025, 12, 1), D(2026, 11, 30), Period.DAY)) == 365
    with pytest.raises(ValueError, match=str(MAX_BUCKETS)):
        buckets(D(2024, 1, 1), D(2026, 1, 1), Period.DAY)
    with pytest.raises(ValueError, match="before its start"):
        buckets(D(2026, 1, 2), D(2026, 1, 1), Period.DAY)


def test_the_previous_range_has_the_same_length() -> None:
    assert previous(D(2026, 11, 1), D(2026, 11, 30)) == (D(2026, 10, 2), D(2026, 10, 31))
    assert previous(D(2026, 3, 1), D(2026, 3, 1)) == (D(2026, 2, 28), D(2026, 2, 28))
