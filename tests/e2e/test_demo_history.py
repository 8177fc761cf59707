"""End-to-end: the demo bank's two years of complaint history as head office reads it. The
complaint manager at head office sees every prominent-issue category with real counts, the fees
category's monthly complaints falling after the Beijing branch's rectification task closed (its
before/after), and this week's emerging mobile-banking issue at 朝阳支行.

The history is seeded as `manyi demo seed` does (`insight.demo.seed`, which also runs the
detector's scan) before the browser starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from manyi.db import Database
from manyi.insight import demo as insight_demo
from tests.e2e.conftest import sign_in, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def history(
    e2e_database_url: str, e2e_clock: dt.datetime, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    database = Database(e2e_database_url)
    try:
        lines = insight_demo.seed(database, e2e_clock, tmp_path_factory.mktemp("var"))
    finally:
        database.dispose()
    return lines


def test_head_office_reads_the_history_in_the_tracker(
    page: Page, history: list[str], shot: Callable[[str], Path]
) -> None:
    assert any("4 closed rectification tasks" in line for line in history)
    assert any("1 emerging-issue alerts stored" in line for line in history)
    sign_in(page, "ho.complaints")
    page.goto("/insight/issues")
    tracker = page.get_by_test_id("tracker")
    expect(tracker.locator("tbody tr")).to_have_count(11)
    expect(page.locator('tr[data-code="attitude"]')).to_contain_text("服务态度")
    shot("demo-history-01-tracker")

    page.goto("/insight/issues/fees")
    expect(page.get_by_role("heading", level=1)).to_have_text("收费问题")
    wait_until(page, "() => document.getElementById('ins-chart').dataset.drawn === '1'")
    months = page.get_by_test_id("months").locator("thead th.num")
    assert months.count() >= 12
    tasks = page.get_by_test_id("tasks")
    expect(tasks).to_contain_text("规范收费告知与公示")
    expect(tasks.get_by_test_id("fell").first).to_be_visible()
    before = int(tasks.get_by_test_id("before").first.inner_text())
    after = int(tasks.get_by_test_id("after").first.inner_text().split()[0])
    assert after < before
    shot("demo-history-02-fees-before-after")


def test_the_emerging_issue_is_on_the_alerts_page(
    page: Page, history: list[str], shot: Callable[[str], Path]
) -> None:
    sign_in(page, "ho.complaints")
    page.goto("/insight/alerts")
    alert = page.get_by_test_id("alert").filter(has_text="手机及网上银行").first
    expect(alert).to_contain_text("朝阳")
    assert alert.locator("tbody tr").count() >= 3
    shot("demo-history-03-alert")
    # A case of the history: closed, classified, decided with its verdict and root cause.
    with page.expect_navigation():
        alert.locator("tbody tr a").first.click()
    expect(page.get_by_test_id("case")).to_have_attribute("data-state", "closed")
    expect(page.locator("body")).to_contain_text("望京营业室")
    shot("demo-history-04-case")


def test_the_analysis_page_shows_the_year_on_year_fall(
    page: Page, history: list[str], shot: Callable[[str], Path]
) -> None:
    sign_in(page, "ho.complaints")
    page.goto(
        "/insight/complaints?kind=month&from=2025-12-01&to=2026-11-30&compare=yoy&by=category"
    )
    expect(page.get_by_role("heading", name="投诉分析", level=1)).to_be_visible()
    for chart in ("trend-chart", "bars-chart"):
        expect(page.get_by_test_id(chart)).to_have_attribute("data-drawn", "1")
    total = int("".join(ch for ch in page.get_by_test_id("total").inner_text() if ch.isdigit()))
    assert 800 <= total <= 2500
    shot("demo-history-05-analysis-yoy")
