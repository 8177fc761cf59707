"""End-to-end: the lobby manager's triage at the door on a 390 px phone (a transfer diverted to
the smart teller machine with one-to-one teaching and completed there; a green-channel ticket
with its QR code), and the month of triage in the head office's cockpit."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.cockpit import rollups
from manyi.counter import catalogue_store
from manyi.db import Database
from manyi.guidance import demo as guidance_demo
from tests.conftest import SYSTEM
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"


@pytest.fixture(scope="module", autouse=True)
def month_of_triage(e2e_database_url: str) -> None:
    """The catalogue (the needs and their channels), the demo's machines and month of triage,
    and the cockpit's roll-ups of it, as `manyi demo seed` leaves them."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session, SYSTEM, E2E_NOW)
        with database.session() as session:
            guidance_demo.seed(session, E2E_NOW)
        rollups.run_pass(database, "Asia/Shanghai", 600, E2E_NOW)
    finally:
        database.dispose()


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"


def test_triage_on_the_phone_diverts_with_teaching_and_issues_a_green_ticket(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(390, 844, has_touch=True, is_mobile=True).new_page()
    problems = console_errors(page)
    sign_in(page, "zgc.lobby")
    page.goto("/guidance/triage")
    expect(page.get_by_role("heading", name="您好！请问今天办理什么业务？")).to_be_visible()
    expect(page.get_by_test_id("today")).to_be_visible()
    fits_the_phone(page)
    page.screenshot(path=str(screenshots / "guidance-triage-needs.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_test_id("need-transfer").click()
    expect(page.get_by_role("heading", name="转账汇款")).to_be_visible()
    divert = page.get_by_test_id("divert").get_by_role("button", name="引导至 智能柜员机 1号")
    expect(divert).to_be_visible()
    expect(page.get_by_test_id("divert-mobile")).to_have_text("手机银行 › 转账汇款")
    fits_the_phone(page)
    page.screenshot(path=str(screenshots / "guidance-triage-transfer.png"), full_page=True)

    with page.expect_navigation():
        divert.click()
    result = page.get_by_test_id("result")
    expect(result).to_contain_text("办理结果")
    result.get_by_test_id("taught").check()
    page.screenshot(path=str(screenshots / "guidance-triage-result.png"), full_page=True)
    with page.expect_navigation():
        result.get_by_test_id("completed-yes").click()
    first = page.get_by_test_id("list").locator("a").first
    expect(first).to_contain_text("智能柜员机 1号")
    expect(first).to_contain_text("已办成")
    expect(first).to_contain_text("已教学")

    with page.expect_navigation():
        page.get_by_test_id("need-deposit").click()
    with page.expect_navigation():
        page.get_by_test_id("ticket-green").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))
    expect(page.get_by_test_id("ticket-class")).to_have_text("绿色通道")
    expect(page.get_by_test_id("qr").locator("svg")).to_have_count(1)
    fits_the_phone(page)
    page.screenshot(path=str(screenshots / "guidance-triage-ticket.png"), full_page=True)
    assert not problems, problems


def test_the_cockpit_shows_the_months_triage(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "ho.service")
    page.goto("/cockpit")
    card = page.get_by_test_id("card-guidance")
    expect(card).to_contain_text("大堂引导")
    expect(card.locator(".q-big")).to_have_text(re.compile(r"^\d+\.\d %$"))
    expect(card.get_by_test_id("diverted-by-channel")).to_contain_text("自助机具")
    card.screenshot(path=str(screenshots / "guidance-cockpit-card.png"))


def test_the_branch_head_sees_todays_card_and_keeps_the_machines(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "zgc.head")
    page.goto(f"/lobby/dashboard?outlet={OUTLET}")
    card = page.get_by_test_id("guidance-card")
    expect(card).to_contain_text("今日大堂引导")
    card.screenshot(path=str(screenshots / "guidance-dashboard-card.png"))
    page.goto("/guidance/machines")
    row = page.get_by_test_id("machines").locator("tr", has_text="存折补登机")
    with page.expect_navigation():
        row.get_by_role("button", name="暂停使用").click()
    expect(page.get_by_test_id("machines").locator("tr", has_text="存折补登机")).to_contain_text(
        "恢复使用"
    )
    page.get_by_label("机具标签（客户可见）").fill("   ")
    with page.expect_navigation():
        page.get_by_test_id("add-machine").click()
    expect(page.get_by_test_id("error")).to_contain_text("请填写客户在机具上看到的标签")
    page.screenshot(path=str(screenshots / "guidance-machines.png"), full_page=True)
