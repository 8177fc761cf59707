"""End-to-end: the satisfaction page at 1440 px on a year of demo history — the charts drawn
by ECharts (served by manyi, no CSP violation), small samples greyed, drill-down by clicking
rows from head office to one teller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.quality import demo as quality_demo
from manyi.quality import demo_pad
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def history(e2e_database_url: str) -> None:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            assert quality_demo.seed(session, E2E_NOW) > 1000
            assert demo_pad.seed(session, E2E_NOW) > 1000
    finally:
        database.dispose()


def test_the_page_draws_its_charts_and_drills_down_to_a_teller(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "ho.service")
    page.goto("/quality")
    expect(page.get_by_role("heading", name="满意度", level=1)).to_be_visible()
    for chart in ("trend-chart", "rows-chart", "pad-chart"):
        expect(page.get_by_test_id(chart).locator("svg")).to_have_count(1)
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("themes")).to_contain_text("等候时间")
    expect(page.get_by_test_id("pad-card")).to_contain_text("%")
    expect(page.get_by_test_id("pad-rows").locator("tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshots / "quality-head-office.png"), full_page=True)

    # Head office → Beijing branch → Haidian → Zhongguancun → a teller, by clicking rows.
    for code in ("BJ", "BJ-HD", "BJ-HD-ZGC"):
        with page.expect_navigation():
            page.get_by_test_id(f"row-{code}").locator("td").nth(1).click()
        expect(page.get_by_test_id("crumbs")).to_contain_text(
            {"BJ": "北京市分行", "BJ-HD": "海淀支行", "BJ-HD-ZGC": "中关村"}[code]
        )
    with page.expect_navigation():
        page.get_by_test_id("row-zgc.teller1").locator("td").nth(1).click()
    expect(page.get_by_test_id("teller")).to_contain_text("zgc.teller1")
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_have_count(1)
    expect(page.get_by_test_id("pad-rows")).to_contain_text("2026-")  # the pad by month
    page.screenshot(path=str(screenshots / "quality-teller.png"), full_page=True)
    assert not problems, problems


def test_a_branch_head_sees_only_their_outlet_and_small_samples_are_marked(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "ljz.head")
    page.goto("/quality?by=period&period=day&from=2026-11-25&to=2026-11-29")
    expect(page.get_by_test_id("crumbs")).to_contain_text("陆家嘴")
    expect(page.get_by_test_id("crumbs")).not_to_contain_text("总行")
    expect(page.locator("tr.q-small").first).to_contain_text("样本量小")
    page.screenshot(path=str(screenshots / "quality-outlet-days.png"), full_page=True)
    response = page.request.get("/quality?unit=BJ-HD-ZGC")
    assert response.status == 404
