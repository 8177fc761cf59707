"""End-to-end: a branch head's teller workload page (the outlet's tellers, the fairness figure,
the 30-day trend drawn by ECharts), the lobby manager's overload card, and the anonymous pulse
survey answered by a teller and reported to the branch head as "fewer than 5"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.lobby import counters, service
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in
from tests.lobby_helpers import operator

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on the demo's Monday in Beijing (E2E_NOW is 10:00 there)."""
    return E2E_NOW + dt.timedelta(hours=hour - 10, minutes=minute)


@pytest.fixture(scope="module", autouse=True)
def morning(e2e_database_url: str) -> None:
    """张伟 (zgc.teller1) at counter 2 since 07:30 with one short pause; 刘洋 (zgc.teller2)
    at counter 3 since 09:00; customers served between them."""
    database = Database(e2e_database_url)

    def act(who: str, action: str, number: int, when: dt.datetime) -> None:
        with database.session() as session:
            getattr(counters, action)(session, operator(session, who), OUTLET, number, when)

    def serve(who: str, number: int, code: str, start: dt.datetime, minutes: int) -> None:
        with database.session() as session:
            service.issue_ticket(session, service.Operator.public(), OUTLET, code, start)
        act(who, "call_next", number, start)
        act(who, "start", number, start)
        act(who, "complete", number, start + dt.timedelta(minutes=minutes))

    try:
        act("zgc.teller1", "open_counter", 2, at(7, 30))
        act("zgc.teller2", "open_counter", 3, at(9))
        for minute in range(0, 50, 10):
            serve("zgc.teller1", 2, "A", at(8, minute), 8)
        act("zgc.teller1", "pause_counter", 2, at(8, 55))
        act("zgc.teller1", "resume_counter", 2, at(8, 58))
        for minute in range(0, 55, 6):
            serve("zgc.teller1", 2, "B", at(9, minute), 5)
        serve("zgc.teller2", 3, "A", at(9, 10), 12)
        serve("zgc.teller2", 3, "B", at(9, 30), 15)
    finally:
        database.dispose()


def test_the_branch_head_sees_each_tellers_load_and_the_trend(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "bj.head")
    page.goto("/workload")
    expect(page.get_by_role("heading", name="柜员工作量", level=1)).to_be_visible()
    page.get_by_test_id("outlet").select_option(OUTLET)
    with page.expect_navigation():
        page.get_by_role("button", name="查看").click()
    table = page.get_by_test_id("tellers-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("张伟")
    expect(table).to_contain_text("刘洋")
    expect(page.get_by_test_id("gini")).not_to_have_text("—")
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "workload-branch-head.png"), full_page=True)
    assert not problems, problems


def test_the_lobby_manager_sees_the_overload_card(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "zgc.lobby")
    page.goto(f"/lobby/dashboard?outlet={OUTLET}")
    card = page.get_by_test_id("workload-card")
    expect(card).to_be_visible()
    expect(card.get_by_test_id("overload-2")).to_contain_text("张伟")
    expect(card.get_by_test_id("overload-2")).to_contain_text("预测服务水平")
    card.screenshot(path=str(screenshots / "workload-overload-card.png"))


def test_a_teller_answers_the_pulse_survey_and_the_head_sees_fewer_than_five(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1280, 900).new_page()
    sign_in(page, "zgc.teller1")
    page.goto("/workload/pulse")
    form = page.get_by_test_id("pulse-form")
    expect(form).to_be_visible()
    page.get_by_test_id("q-workload").get_by_label("2").check()
    page.get_by_test_id("q-support").get_by_label("4").check()
    page.get_by_test_id("q-pressure").get_by_label("2").check()
    page.get_by_test_id("comment").fill("午间人手紧张")
    page.screenshot(path=str(screenshots / "workload-pulse-form.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    expect(page.get_by_test_id("answered")).to_be_visible()
    page.screenshot(path=str(screenshots / "workload-pulse-thanks.png"), full_page=True)

    head = screen(1280, 900).new_page()
    sign_in(head, "bj.head")
    head.goto("/workload/pulse/results")
    expect(head.get_by_test_id("hidden")).to_contain_text("不足 5 人")
    expect(head.get_by_test_id("pulse-table")).to_have_count(0)
    expect(head.get_by_text("午间人手紧张")).to_have_count(0)
    head.screenshot(path=str(screenshots / "workload-pulse-results.png"), full_page=True)
