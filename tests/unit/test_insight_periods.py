"""Complaint analysis's pure rules: periods, zero-filling, comparisons and measures."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.insight.domain import measures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import (
    Compare,
    PeriodKind,
    Span,
    add_months,
    previous_range,
    shift,
    spans,
    totals,
)

D = dt.date


def test_months_cover_the_range_clipped_at_both_ends() -> None:
    found = spans(D(2026, 1, 15), D(2026, 4, 3), PeriodKind.MONTH)
    assert [s.label for s in found] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert (found[0].first, found[0].last) == (D(2026, 1, 15), D(2026, 1, 31))
    assert (found[-1].first, found[-1].last) == (D(2026, 4, 1), D(2026, 4, 3))


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        (PeriodKind.DAY, ["2026-12-30", "2026-12-31", "2027-01-01"]),
        (PeriodKind.WEEK, ["2026-W53"]),  # ISO week 53 of 2026 runs to 3 January
        (PeriodKind.QUARTER, ["2026-Q4", "2027-Q1"]),
        (PeriodKind.YEAR, ["2026", "2027"]),
    ],
)
def test_each_kind_of_period_is_labelled(kind: PeriodKind, labels: list[str]) -> None:
    assert [s.label for s in spans(D(2026, 12, 30), D(2027, 1, 1), kind)] == labels


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before its start"):
        spans(D(2026, 2, 1), D(2026, 1, 1), PeriodKind.DAY)


def test_empty_periods_count_as_zero() -> None:
    months = spans(D(2026, 1, 1), D(2026, 3, 31), PeriodKind.MONTH)
    counts = {D(2026, 1, 5): 3, D(2026, 1, 31): 1, D(2026, 3, 1): 2, D(2025, 12, 31): 9}
    assert totals(counts, months) == [4, 0, 2]


def test_month_on_month_is_the_calendar_month_before_even_when_it_was_empty() -> None:
    march = Span("2026-03", D(2026, 3, 1), D(2026, 3, 31))
    before = shift(march, PeriodKind.MONTH, Compare.MOM)
    assert (before.label, before.first, before.last) == ("2026-02", D(2026, 2, 1), D(2026, 2, 28))
    months = spans(D(2026, 1, 1), D(2026, 3, 31), PeriodKind.MONTH)
    counts = {D(2026, 1, 10): 4, D(2026, 3, 10): 2}
    now = totals(counts, months)
    then = totals(counts, [shift(m, PeriodKind.MONTH, Compare.MOM) for m in months])
    assert list(zip(now, then, strict=True)) == [(4, 0), (0, 4), (2, 0)]
    assert [measures.change_pct(n, p) for n, p in zip(now, then, strict=True)] == [
        None,
        -100.0,
        None,  # from an empty month: no percentage (the count says it)
    ]


def test_year_on_year_keeps_the_calendar() -> None:
    feb = Span("2024-02", D(2024, 2, 1), D(2024, 2, 29))
    feb_before = Span("2023-02", D(2023, 2, 1), D(2023, 2, 28))
    assert shift(feb, PeriodKind.MONTH, Compare.YOY) == feb_before
    q2 = Span("2026-Q2", D(2026, 4, 1), D(2026, 6, 30))
    assert shift(q2, PeriodKind.QUARTER, Compare.YOY).label == "2025-Q2"
    assert shift(q2, PeriodKind.QUARTER, Compare.MOM) == Span(
        "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)
    )
    week = spans(D(2026, 11, 30), D(2026, 12, 6), PeriodKind.WEEK)[0]
    last_year = shift(week, PeriodKind.WEEK, Compare.YOY)
    assert last_year.first.weekday() == 0 and last_year.label == "2025-W49"
    day = Span("2026-03-01", D(2026, 3, 1), D(2026, 3, 1))
    assert shift(day, PeriodKind.DAY, Compare.YOY).first == D(2025, 3, 1)
    assert shift(day, PeriodKind.DAY, Compare.MOM).first == D(2026, 2, 28)


def test_a_range_is_compared_with_whole_months_or_the_same_number_of_days() -> None:
    assert previous_range(D(2026, 3, 1), D(2026, 3, 31), Compare.MOM) == (
        D(2026, 2, 1),
        D(2026, 2, 28),
    )
    assert previous_range(D(2026, 4, 1), D(2026, 6, 30), Compare.MOM) == (
        D(2026, 1, 1),
        D(2026, 3, 31),
    )
    assert previous_range(D(2026, 3, 5), D(2026, 3, 14), Compare.MOM) == (
        D(2026, 2, 23),
        D(2026, 3, 4),
    )
    assert previous_range(D(2024, 2, 1), D(2024, 2, 29), Compare.YOY) == (
        D(2023, 2, 1),
        D(2023, 2, 28),
    )


def test_months_are_added_by_the_calendar() -> None:
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2023, 2, 28), 12, keep_month_end=True) == D(2024, 2, 29)
    assert add_months(D(2026, 1, 15), -13) == D(2024, 12, 15)


def test_measures_and_their_empty_cases() -> None:
    assert measures.change_pct(6, 4) == 50.0
    assert measures.change_pct(1, 3) == -66.7
    assert measures.change_pct(5, 0) is None
    assert measures.change_fraction(3, 4) == -0.25
    assert measures.per_10k(3, 3000) == 10.0
    assert measures.per_10k(3, 0) is None
    assert measures.share(1, 3) == 0.3333
    assert measures.share(0, 0) is None


def test_cases_roll_up_to_their_ancestor_at_the_level() -> None:
    units = [
        (1, None, "head_office"),
        (2, 1, "tier1_branch"),
        (3, 2, "tier2_branch"),
        (4, 3, "outlet"),
        (5, 2, "outlet"),  # an outlet straight under its tier-1 branch
    ]
    assert measures.rollup(units, Level.TIER1) == {1: 1, 2: 2, 3: 2, 4: 2, 5: 2}
    assert measures.rollup(units, Level.TIER2) == {1: 1, 2: 2, 3: 3, 4: 3, 5: 5}
    assert measures.rollup(units, Level.HEAD) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    assert measures.rollup(units, Level.OUTLET) == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    assert measures.rollup(units[2:], Level.TIER1) == {3: 3, 4: 4, 5: 5}  # parent not given
    assert measures.above(Level.HEAD, "tier1_branch")
    assert not measures.above(Level.OUTLET, "tier1_branch")
