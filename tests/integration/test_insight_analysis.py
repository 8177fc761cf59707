"""Complaint analysis on both engines: the service and `manyi complaints stats`'s JSON contract
(the old output unchanged; `previous`/`change_pct` only with --compare, `rate` only with
--per-10k-customers), roll-up levels, rates, shares, the data scope and the empty-month bug."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from manyi.cli import app
from manyi.config import get_settings
from manyi.db import Database
from manyi.insight import analysis
from manyi.insight.analysis import Dimension
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind
from tests.analysis_helpers import Case, add_cases
from tests.conftest import Bank

pytestmark = pytest.mark.usefixtures("frozen_clock")

D = dt.date
ZONE = "Asia/Shanghai"


@pytest.fixture
def cases(db: Database, bank: Bank) -> Bank:
    """January 2026: 4 at OUT-A, 1 at OUT-B; February: none; March: 2 at OUT-A (one received
    at 00:30 local time on 1 March, still 28 February in UTC), 1 at SUB-B itself; March 2025:
    1 at OUT-A (the year before)."""
    add_cases(
        db,
        [
            Case("OUT-A", D(2026, 1, 5), verdict="upheld", issue="waiting_time"),
            Case("OUT-A", D(2026, 1, 6), verdict="partly", breached=True),
            Case("OUT-A", D(2026, 1, 7), verdict="not_upheld", reopen_count=1),
            Case("OUT-A", D(2026, 1, 31), hour=23, cause="fees.charges"),
            Case("OUT-B", D(2026, 1, 20), business="cards.debit", issue="waiting_time"),
            Case("OUT-A", D(2026, 3, 1), hour=0, product="借记卡"),
            Case("OUT-A", D(2026, 3, 9), business=None, cause=None),
            Case("SUB-B", D(2026, 3, 15)),
            Case("OUT-A", D(2025, 3, 3)),
        ],
    )
    return bank


@pytest.fixture
def cli(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def stats(cli: CliRunner, *args: str) -> Any:
    result = cli.invoke(app, ["complaints", "stats", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_an_empty_month_is_counted_as_zero_not_skipped(db: Database, cases: Bank) -> None:
    with db.session() as session:
        rows = analysis.series(
            session, "/", D(2026, 1, 1), D(2026, 3, 31), PeriodKind.MONTH, ZONE, Compare.MOM
        )
    assert [(r.span.label, r.count, r.previous) for r in rows] == [
        ("2026-01", 5, 0),
        ("2026-02", 0, 5),
        ("2026-03", 3, 0),
    ]
    assert [r.change_pct for r in rows] == [None, -100.0, None]


def test_the_old_month_output_is_kept_with_the_empty_month_in_it(
    cli: CliRunner, cases: Bank
) -> None:
    months = stats(cli, "--by", "month")
    assert months[0] == {"key": "2025-03", "count": 1, "change": None}
    assert [m["key"] for m in months][-4:] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert {m["key"]: m["count"] for m in months}["2025-04"] == 0  # empty months are there
    jan, feb, mar = months[-3:]
    assert (jan["change"], feb["change"], mar["change"]) == (None, -1.0, None)
    assert all(set(m) == {"key", "count", "change"} for m in months)


def test_compare_adds_previous_and_change_pct_and_nothing_else(cli: CliRunner, cases: Bank) -> None:
    march = "--from", "2026-03-01", "--to", "2026-03-31"
    yoy = stats(cli, "--by", "month", *march, "--compare", "yoy")
    assert yoy == [
        {"key": "2026-03", "count": 3, "change": None, "previous": 1, "change_pct": 200.0}
    ]
    # February (empty) against January, then March against February (empty).
    feb = "--from", "2026-02-01", "--to", "2026-02-28", "--compare", "mom"
    causes = {c["key"]: c for c in stats(cli, "--by", "cause", *feb)}
    assert causes["service_quality"] == {
        "key": "service_quality",
        "count": 0,
        "name": causes["service_quality"]["name"],
        "previous": 4,
        "change_pct": -100.0,
    }
    assert (causes["fees"]["count"], causes["fees"]["previous"]) == (0, 1)
    mar = "--from", "2026-03-01", "--to", "2026-03-31", "--compare", "mom"
    causes = {c["key"]: c for c in stats(cli, "--by", "cause", *mar)}
    assert causes["unclassified"]["count"] == 1 and causes["unclassified"]["previous"] == 0
    assert causes["unclassified"]["change_pct"] is None
    assert causes["unclassified"]["name"] == "未分类"
    plain = stats(cli, "--by", "cause")
    assert all(set(c) <= {"key", "count", "name"} for c in plain)


def test_units_roll_up_to_a_level_with_rates_per_10k_customers(cli: CliRunner, cases: Bank) -> None:
    window = ("--from", "2026-01-01", "--to", "2026-03-31")
    tier1 = stats(cli, "--by", "unit", "--level", "tier1", "--per-10k-customers", *window)
    # Every unit serves 1,000 customers: BR-A's subtree 3,000, BR-B's 3,000.
    assert tier1 == [
        {"key": "BR-A", "count": 6, "name": "甲分行", "rate": 20.0},
        {"key": "BR-B", "count": 2, "name": "乙分行", "rate": 6.67},
    ]
    outlets = stats(cli, "--by", "unit", "--level", "outlet", *window)
    assert [(u["key"], u["count"]) for u in outlets] == [("OUT-A", 6), ("OUT-B", 1), ("SUB-B", 1)]
    head = stats(cli, "--by", "unit", "--level", "head", "--per-10k-customers", *window)
    assert head == [{"key": "HQ", "count": 8, "name": "测试总行", "rate": 11.43}]
    own = stats(cli, "--by", "unit", *window)
    assert all("rate" not in u for u in own)
    months = stats(cli, "--by", "month", "--per-10k-customers", *window)
    assert months[0]["rate"] == round(5 * 10_000 / 7000, 2)


def test_the_scope_of_a_unit_and_its_roll_up(cli: CliRunner, cases: Bank) -> None:
    branch = stats(cli, "--by", "unit", "--unit", "BR-B", "--level", "head", "--from", "2026-01-01")
    assert branch == [{"key": "BR-B", "count": 2, "name": "乙分行"}]  # never above the scope
    assert sum(m["count"] for m in stats(cli, "--by", "month", "--unit", "BR-A")) == 7


def test_categories_and_the_local_day_of_receipt(cli: CliRunner, cases: Bank) -> None:
    category = stats(cli, "--by", "category", "--from", "2026-01-01", "--to", "2026-01-31")
    assert {c["key"]: c["count"] for c in category} == {"waiting_time": 2, "unclassified": 3}
    # 00:30 on 1 March in Shanghai is 28 February in UTC: it counts in March.
    march_first = stats(cli, "--by", "unit", "--from", "2026-03-01", "--to", "2026-03-01")
    assert [(u["key"], u["count"]) for u in march_first] == [("OUT-A", 1)]


def test_bad_options_are_refused_with_a_message(cli: CliRunner, cases: Bank) -> None:
    for args, message in [
        (["--by", "cause", "--level", "tier1"], "--level goes with --by unit"),
        (["--by", "cause", "--compare", "mom"], "needs --from and --to"),
        (["--from", "2026-13-01"], "not a date"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "--to is before --from"),
        (["--unit", "NOPE"], "there is no unit NOPE"),
    ]:
        result = CliRunner().invoke(app, ["complaints", "stats", *args, "--json"])
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_shares_upheld_overdue_and_disputed(db: Database, cases: Bank) -> None:
    with db.session() as session:
        rows = analysis.breakdown(
            session, "/", D(2026, 1, 1), D(2026, 1, 31), Dimension.UNIT, ZONE, level=Level.TIER1
        )
    branch_a = rows[0]
    assert (branch_a.key, branch_a.count, branch_a.outlets, branch_a.customers) == (
        "BR-A",
        4,
        1,
        3000,
    )
    assert branch_a.upheld_share == round(2 / 3, 4)  # upheld + partly of three verdicts
    assert branch_a.overdue_share == 0.25 and branch_a.disputed_share == 0.25
    assert branch_a.per_outlet == 4.0 and branch_a.per_10k == round(4 * 10_000 / 3000, 2)
    assert rows[1].upheld_share is None  # no verdict yet: no share
