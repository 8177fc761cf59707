"""End-to-end: the complaint analysis page at 1440 px on two years of complaints seeded here —
the charts drawn by ECharts (served by manyi, no CSP violation), the league of units, the
drill-down to the workbench listing exactly the cases counted, and a tier-1 manager's scope."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.insight import issues
from manyi.insight.domain.issues import DEMO_SET
from tests.analysis_helpers import Case, add_cases
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in

pytestmark = pytest.mark.e2e

OUTLETS = ["BJ-HD-ZGC", "BJ-HD-WDK", "BJ-CY-WJ", "SH-PD-LJZ", "SH-XH-XJH"]
BUSINESS = ["savings.demand", "cards.debit", "loans", "payments", "wealth"]
CAUSES = ["service_quality", "pricing", "facilities", "rules", "marketing"]


@pytest.fixture(scope="module", autouse=True)
def history(e2e_database_url: str) -> None:
    """Two years of complaints over the demo's five outlets, fewer this year than last."""
    rng = random.Random(19)
    today = E2E_NOW.date()
    cases = []
    for back in range(730):
        day = today - dt.timedelta(days=back + 1)
        for _ in range(rng.choice([0, 0, 1, 1, 2]) if back < 365 else rng.choice([0, 1, 1, 2, 2])):
            cases.append(
                Case(
                    rng.choice(OUTLETS),
                    day,
                    hour=rng.randint(9, 17),
                    business=rng.choice(BUSINESS),
                    cause=rng.choice(CAUSES),
                    issue=rng.choice([c.code for c in DEMO_SET[:5]] + [None]),
                    verdict=rng.choice(["upheld", "partly", "not_upheld", None]),
                    breached=rng.random() < 0.1,
                    reopen_count=1 if rng.random() < 0.05 else 0,
                )
            )
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            issues.seed(session, DEMO_SET)
        add_cases(database, cases)
    finally:
        database.dispose()


def _number(text: str) -> int:
    found = re.search(r"\d[\d,]*", text)
    assert found, text
    return int(found.group(0).replace(",", ""))


def test_head_office_sees_the_trend_the_bars_and_the_league_and_drills_down(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "ho.complaints")
    page.goto("/")
    page.get_by_role("link", name="投诉分析").first.click()
    expect(page.get_by_role("heading", name="投诉分析", level=1)).to_be_visible()
    for chart in ("trend-chart", "bars-chart"):
        expect(page.get_by_test_id(chart).locator("svg")).to_have_count(1)
        expect(page.get_by_test_id(chart)).to_have_attribute("data-drawn", "1")
    league = page.get_by_test_id("league")
    expect(league.locator("tbody tr")).to_have_count(2)  # Beijing and Shanghai branches
    expect(league).to_contain_text("北京")
    expect(league).to_contain_text("上海")
    total = _number(page.get_by_test_id("total").inner_text())
    assert total > 200
    page.screenshot(path=str(screenshots / "insight-analysis-head-office.png"), full_page=True)

    # The Beijing branch's row opens the workbench with exactly its cases of the range.
    row = league.locator("tr[data-testid='unit-BJ']")
    counted = _number(row.locator("td").nth(1).inner_text())
    with page.expect_navigation():
        row.locator("td").nth(1).get_by_role("link").click()
    assert "/complaints?" in page.url and "unit_id=" in page.url
    expect(page.get_by_test_id("total")).to_contain_text(str(counted))
    page.screenshot(path=str(screenshots / "insight-analysis-drill-workbench.png"))
    assert not problems, problems


def test_a_branch_manager_sees_their_branch_by_category_and_a_category_drills_down(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "bj.complaints")
    page.goto("/insight/complaints")
    page.get_by_test_id("filters").locator("select[name=by]").select_option("category")
    page.get_by_test_id("filters").locator("select[name=compare]").select_option("mom")
    with page.expect_navigation():
        page.get_by_test_id("filters").get_by_role("button").click()
    league = page.get_by_test_id("league")
    expect(league).to_contain_text("海淀")
    expect(league).not_to_contain_text("上海")
    breakdown = page.get_by_test_id("breakdown")
    expect(breakdown.locator("tbody tr").first).to_be_visible()
    expect(page.get_by_test_id("bars-chart").locator("svg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "insight-analysis-branch-category.png"), full_page=True)
    first = breakdown.locator("tbody tr").filter(has=page.locator("a")).first
    counted = _number(first.locator("td").nth(1).inner_text())
    with page.expect_navigation():
        first.locator("td").nth(1).get_by_role("link").click()
    assert "issue=" in page.url
    expect(page.get_by_test_id("total")).to_contain_text(str(counted))
    expect(page.locator("[data-testid=filter-issue]")).to_be_visible()
    assert not problems, problems


def test_the_regulator_export_downloads(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "ho.complaints")
    page.goto("/insight/complaints")
    page.get_by_test_id("quarter").fill("2026-Q3")
    with page.expect_download() as download:
        page.get_by_test_id("regulator-csv").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert body.splitlines()[0].count(",") == 6 and "BJ" in body and "SH" in body
