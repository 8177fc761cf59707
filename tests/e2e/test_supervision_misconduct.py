"""End-to-end: the Beijing branch's inspector takes a misconduct case from the report to its
bulletin, and a teller of the outlet reads the bulletin, names masked, in "My notifications".

The app is the real one on this module's demo bank (tests/e2e/conftest.py); the test delivers
the inbox messages as the worker would (`notify.delivery.deliver_due`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from manyi.db import Database
from manyi.notify import delivery
from manyi.notify.channels import InAppChannel
from manyi.org.tables import Staff
from tests.e2e.conftest import E2E_NOW, SCREENSHOTS, sign_in

pytestmark = pytest.mark.e2e

Shot = Callable[[str], Path]


def _staff_id(url: str, username: str) -> int:
    database = Database(url)
    try:
        with database.read() as session:
            found = session.scalar(select(Staff.id).where(Staff.username == username))
            assert found is not None
            return int(found)
    finally:
        database.dispose()


def _deliver(url: str) -> None:
    database = Database(url)
    try:
        # Whatever the pages queued in the module's first hour (its clock starts at E2E_NOW).
        delivery.deliver_due(database, {"in_app": InAppChannel()}, E2E_NOW + dt.timedelta(hours=1))
    finally:
        database.dispose()


def test_a_case_from_report_to_its_bulletin_in_a_tellers_inbox(
    page: Page,
    screen: Callable[..., BrowserContext],
    e2e_database_url: str,
    shot: Shot,
) -> None:
    teller2 = _staff_id(e2e_database_url, "zgc.teller2")  # 刘洋, 中关村营业室
    sign_in(page, "bj.inspector")
    page.goto("/supervision/misconduct")
    expect(page.get_by_role("heading", level=1)).to_have_text("违规行为")
    page.get_by_test_id("open-case").click()
    page.locator("#staff_id").select_option(str(teller2))
    page.locator("#severity").select_option("malignant")
    page.locator("#happened_on").fill("2026-11-27")
    page.locator("#origin").select_option("report")  # a complaint origin must exist
    page.locator("#origin_ref").fill("大堂经理上报")
    page.locator("#summary").fill("柜员与客户发生争吵，将客户材料扔出窗口")
    with page.expect_navigation():
        page.get_by_role("button", name="立案").click()
    expect(page.get_by_test_id("state")).to_have_text("已报告")
    expect(page.get_by_test_id("deadline")).to_have_text("按期")
    shot("misconduct-01-reported")

    with page.expect_navigation():
        page.get_by_role("button", name="开始调查").click()
    page.locator("#findings").fill("录像显示情况属实")
    with page.expect_navigation():
        page.get_by_role("button", name="录入调查认定").click()
    expect(page.get_by_test_id("findings")).to_have_text("录像显示情况属实")
    page.get_by_label("记过").check()
    page.get_by_label("取消服务明星资格").check()
    with page.expect_navigation():
        page.get_by_role("button", name="作出处理决定").click()
    parties = page.get_by_test_id("parties")
    expect(parties).to_contain_text("王建华")  # the outlet head
    expect(parties).to_contain_text("许志远")  # the responsible manager above (北京分行)
    with page.expect_navigation():
        page.get_by_role("button", name="办结案件").click()
    expect(page.get_by_test_id("state")).to_have_text("已办结")
    shot("misconduct-02-finalised")

    page.goto("/supervision/misconduct?severity=malignant")
    expect(page.locator("[data-case]")).to_have_count(1)
    shot("misconduct-00-list")
    page.go_back()
    page.get_by_test_id("bulletin-link").click()
    body = page.locator("#body")
    expect(body).to_contain_text("刘*")
    expect(body).not_to_contain_text("刘洋")
    page.locator("#scope_unit").select_option("BJ-HD-ZGC")
    body.fill(body.input_value() + "\n请各网点组织学习。")
    shot("misconduct-03-bulletin-form")
    with page.expect_navigation():
        page.get_by_role("button", name="发布通报").click()
    expect(page).to_have_url(re.compile(r"/supervision/bulletins"))
    expect(page.get_by_test_id("bulletin")).to_have_count(1)
    shot("misconduct-04-bulletins")

    _deliver(e2e_database_url)
    teller = screen(1280, 800).new_page()
    sign_in(teller, "zgc.teller1")
    teller.goto("/notifications")
    message = teller.get_by_test_id("message").filter(has_text="恶性服务事件的通报")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("刘*")
    expect(message).to_contain_text("请各网点组织学习。")
    expect(message).not_to_contain_text("刘洋")
    teller.screenshot(path=str(SCREENSHOTS / "misconduct-05-teller-inbox.png"), full_page=True)
    assert teller.goto("/supervision/misconduct").status == 403  # the cases are not theirs

    concerned = screen(1280, 800).new_page()
    sign_in(concerned, "zgc.teller2")
    concerned.goto("/my/sanctions")
    rows = concerned.get_by_test_id("my-sanctions")
    expect(rows).to_contain_text("记过")
    expect(rows).to_contain_text("取消服务明星资格")
    expect(rows).not_to_contain_text("录像显示")  # the findings stay with the investigators
    concerned.screenshot(path=str(SCREENSHOTS / "misconduct-06-my-sanctions.png"), full_page=True)
