"""End-to-end: the outlet head's daily self-check on a 390 px phone at 11:40 — the opening round
missed, the midday round refused with its message beside the item, then submitted with a failed
item and its photo, the failure made a rectification task — and the branch head's board and
inbox after the worker alerted the branch."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import BrowserContext, Page, expect

from manyi import notify
from manyi.db import Database
from manyi.guidance import jobs
from manyi.guidance.selfcheck_demo import seed_selfcheck
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in
from tests.rect_helpers import PNG

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
LATE_MORNING = E2E_NOW + dt.timedelta(hours=1, minutes=40)  # 11:40 in Beijing, a Monday


@pytest.fixture(scope="module", autouse=True)
def month_of_self_checks(e2e_database_url: str) -> None:
    """The demo's month of self-checks, as `manyi demo seed` leaves it."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            seed_selfcheck(session, E2E_NOW)
    finally:
        database.dispose()


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"


def test_the_outlet_heads_self_check_and_the_branchs_board(
    screen: Callable[..., BrowserContext],
    screenshots: Path,
    e2e_database_url: str,
    time_machine: time_machine.TimeMachineFixture,
) -> None:
    time_machine.move_to(LATE_MORNING, tick=True)
    page = screen(390, 844, has_touch=True, is_mobile=True).new_page()
    problems = console_errors(page)
    sign_in(page, "zgc.head")
    page.goto("/guidance/selfcheck")
    expect(page.get_by_test_id("round-opening").get_by_test_id("state")).to_have_text("漏查")
    expect(page.get_by_test_id("round-midday").get_by_test_id("state")).to_have_text("可检查")
    expect(page.get_by_test_id("round-closing").get_by_test_id("state")).to_have_text("未开始")
    fits_the_phone(page)
    page.screenshot(path=str(screenshots / "guidance-selfcheck-today.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_test_id("start-midday").click()
    expect(page.get_by_role("heading", name="午间巡查")).to_be_visible()
    for code in ("MD1", "MD2", "MD3", "MD4", "MD5", "MD6"):
        page.get_by_test_id(f"pass-{code}").check()
    page.get_by_test_id("fail-MD3").check()
    page.get_by_test_id("note-MD3").fill("2号智能柜员机黑屏，无人引导")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    item = page.get_by_test_id("item-MD3")
    expect(item.get_by_test_id("item-error")).to_have_text("MD3 不合格：请上传问题照片")
    expect(page.get_by_test_id("fail-MD3")).to_be_checked()  # the answers are kept
    fits_the_phone(page)
    item.screenshot(path=str(screenshots / "guidance-selfcheck-refused.png"))
    assert [p for p in problems if "422" not in p] == [], problems  # the refusal's own status
    problems.clear()

    page.get_by_test_id("photo-MD3").set_input_files(
        {"name": "atm.png", "mimeType": "image/png", "buffer": PNG}
    )
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("done")).to_have_text("本轮自查已记录。")
    answer = page.get_by_test_id("answer-MD3")
    expect(answer).to_contain_text("不合格")
    expect(answer.locator("img.sc-thumb")).to_have_count(1)
    with page.expect_navigation():
        answer.get_by_test_id("make-task-MD3").click()
    expect(page.get_by_test_id("task-MD3")).to_have_text(re.compile(r"^整改任务 #\d+$"))
    fits_the_phone(page)
    page.screenshot(path=str(screenshots / "guidance-selfcheck-round.png"), full_page=True)
    assert not problems, problems

    # The worker's pass a little later: the opening rounds missed this morning alert the
    # branches, and the notices reach the inbox.
    later = LATE_MORNING + dt.timedelta(minutes=10)
    database = Database(e2e_database_url)
    try:
        assert jobs.scan(database, later).alerted >= 1
        notify.deliver_due(database, {"in_app": notify.InAppChannel()}, later)
    finally:
        database.dispose()
    desk = screen(1440, 900).new_page()
    sign_in(desk, "bj.head")
    desk.goto("/guidance/selfcheck/board?from=2026-11-01&to=2026-11-30")
    row = desk.get_by_test_id("outlets").locator(f'tr[data-unit="{OUTLET}"]')
    expect(row).to_be_visible()
    expect(
        desk.get_by_test_id("rounds").locator("tr", has_text="营业前检查").first
    ).to_contain_text("漏查")
    desk.screenshot(path=str(screenshots / "guidance-selfcheck-board.png"), full_page=True)
    desk.goto("/notifications")
    expect(desk.locator("main")).to_contain_text("中关村")
    expect(desk.locator("main")).to_contain_text("未按时自查")
    desk.screenshot(path=str(screenshots / "guidance-selfcheck-alert.png"))
