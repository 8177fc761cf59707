"""End-to-end: the lobby staff's own actions, in real Chromium. The lobby manager opens a
counter for a teller, sets its services, issues a green-channel ticket at the desk and pages
second-line colleagues from the dashboard; a teller transfers a customer and pauses the counter
from the keyboard. Screenshots: test-artifacts/screenshots/lobby-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import func, select

from manyi.db import Database
from manyi.notify.channels import InAppChannel
from manyi.notify.delivery import deliver_due
from manyi.notify.tables import NotifyMessage
from tests.e2e.conftest import sign_in
from tests.lobby_screen_helpers import save, tokens_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def test_lobby_manager_acts_from_the_dashboard(
    screen: Callable[..., BrowserContext], screenshots: Path, e2e_database_url: str
) -> None:
    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.goto("/lobby/dashboard")
    row = manager.locator("[data-counter='8']")
    expect(row).to_contain_text("已关闭")

    # Open the flexible counter for a second-line teller.
    row.get_by_role("button", name="开放").click()
    dialog = manager.locator("[data-dialog=open]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-open-teller] option").first).to_have_text("张伟 (zgc.teller1)")
    dialog.locator("[data-open-teller]").select_option("zgc.teller2")
    save(manager, screenshots, "dashboard-open-counter")
    dialog.get_by_role("button", name="开放").click()
    expect(row).to_contain_text("刘洋")
    expect(row).to_contain_text("开放")

    # It serves only the fast lane now.
    row.get_by_role("button", name="业务").click()
    services = manager.locator("[data-dialog=services]")
    for code in ("A", "B", "K"):
        services.locator(f"input[value={code}]").uncheck()
    services.locator("input[value=K]").check()
    services.get_by_role("button", name="保存").click()
    expect(row.locator("td").nth(5)).to_have_text("K")

    # Issue a green-channel ticket at the desk.
    manager.get_by_role("button", name="发放优先号").click()
    issue = manager.locator("[data-dialog=issue]")
    issue.locator("[data-issue-service]").select_option("A")
    issue.get_by_role("button", name="发号").click()
    expect(manager.locator("[data-flash]")).to_contain_text(re.compile(r"已发放 A\d{3} 号"))
    expect(manager.locator("[data-service=A] td").nth(2)).to_contain_text("绿色通道")

    # Page two second-line colleagues.
    manager.get_by_role("button", name="呼叫二线支援").click()
    page_dialog = manager.locator("[data-dialog=page]")
    page_dialog.get_by_label("王建华").check()
    page_dialog.get_by_label("陈明").check()
    save(manager, screenshots, "dashboard-page-staff")
    page_dialog.get_by_role("button", name="发送").click()
    expect(manager.locator("[data-flash]")).to_have_text("已呼叫 2 位员工")

    row.get_by_role("button", name="关闭").click()
    expect(row).to_contain_text("已关闭")
    # `manyi worker` delivers the outbox; here the test does one round of it.
    database = Database(e2e_database_url)
    try:
        with database.session() as session:  # the round right after the pages were sent
            sent = session.scalar(select(func.max(NotifyMessage.created_at)))
        assert sent is not None
        report = deliver_due(database, {"in_app": InAppChannel()}, sent)
    finally:
        database.dispose()
    assert report.sent >= 2
    head = screen(1440, 900).new_page()
    sign_in(head, "zgc.head")
    head.goto("/notifications")
    expect(head.locator("body")).to_contain_text("大堂客户较多，请到窗口支援。")


def test_teller_transfers_and_pauses_from_the_keyboard(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], base_url: str, screenshots: Path
) -> None:
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("5")  # 对公: 张伟 has the skill
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("5号窗口")
    with httpx.Client(base_url=base_url) as http:
        ticket = http.post(
            "/device/api/v1/lobby/tickets",
            json={"service": "C"},
            headers={"Authorization": f"Bearer {tokens['kiosk']}"},
        ).json()
    teller.keyboard.press("F1")
    expect(teller.locator("[data-number]")).to_have_text(ticket["number"])

    teller.keyboard.press("F6")  # transfer: to the fast lane's service
    dialog = teller.locator("[data-transfer]")
    expect(dialog).to_be_visible()
    dialog.locator("[data-transfer-service]").select_option("K")
    save(teller, screenshots, "console-transfer")
    dialog.locator("[data-transfer-service]").press("Enter")
    expect(dialog).to_be_hidden()
    expect(teller.locator("[data-number]")).to_have_text("—")

    teller.keyboard.press("F7")  # pause: the counter calls nobody
    expect(teller.locator("[data-counter-state]")).to_have_text("已暂停")
    expect(teller.locator("[data-action=call-next]")).to_be_disabled()
    teller.keyboard.press("F7")
    expect(teller.locator("[data-counter-state]")).to_have_text("开放")
    teller.keyboard.press("F9")
    expect(teller.locator("[data-signon]")).to_be_visible()

    phone = screen(360, 740, is_mobile=True).new_page()
    phone.goto(f"/t/{ticket['token']}")
    expect(phone.locator("[data-number]")).to_have_text(ticket["number"])
    expect(phone.locator("[data-service]")).to_have_text("快速通道")
    expect(phone.locator("[data-state]")).to_have_text("等候中")
