"""End-to-end: a customer's visit through every lobby screen, in real Chromium.

Kiosk (1080×1920) → status page on a phone → the teller calls with F1 → the
board (1920×1080) shows the call and queues the announcement → the status page
says which counter → complete → the rating pad asks → the rating reaches the
lobby manager's dashboard. The printed ticket in both paper widths; a device must be paired
and the console needs a signed-in teller. Screenshots of every screen go to
test-artifacts/screenshots/lobby-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import pair, sign_in, wait_until
from tests.lobby_screen_helpers import save, tokens_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def fits(page: Page, selector: str) -> None:
    """Nothing inside `selector` is wider or taller than its box (no cut-off text)."""
    overflow = page.locator(selector).evaluate(
        """root => [...root.querySelectorAll('*')]
            .filter(n => n.offsetParent !== null && n.clientWidth > 0
                && n.scrollWidth > n.clientWidth + 1
                && getComputedStyle(n).overflow === 'visible')
            .map(n => n.className + ': ' + n.textContent.trim().slice(0, 30))"""
    )
    assert overflow == [], overflow


def test_a_visit_through_every_lobby_screen(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], screenshots: Path
) -> None:
    board = screen(1920, 1080).new_page()
    pair(board, tokens["display"])
    expect(board).to_have_url(re.compile(r"/device/board$"))
    expect(board.locator("[data-conn]")).to_have_text("实时")
    expect(board.locator("[data-counter='3']")).to_be_visible()

    pad = screen(1280, 800).new_page()
    pair(pad, tokens["rating_pad"], counter=3)
    expect(pad).to_have_url(re.compile(r"/device/rating/3$"))
    expect(pad.get_by_role("heading", name="欢迎光临")).to_be_visible()
    save(pad, screenshots, "rating-pad-idle")

    # The teller signs on at counter 3 (个人现金 / 个人非现金).
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.get_by_role("navigation").get_by_role("link", name="柜员工作台").click()
    expect(teller.get_by_role("heading", name="柜员工作台")).to_be_visible()
    teller.locator("[data-counter-select]").select_option("3")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("3号窗口")

    # A customer takes a number at the kiosk.
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, tokens["kiosk"])
    expect(kiosk).to_have_url(re.compile(r"/device/kiosk$"))
    expect(kiosk.get_by_role("heading", name="请选择您要办理的业务")).to_be_visible()
    save(kiosk, screenshots, "kiosk-home")
    kiosk.locator("[data-screen=home] [data-service=B]").click()
    issued = kiosk.get_by_test_id("issued")
    expect(issued.locator("[data-number]")).to_have_text(re.compile(r"^B\d{3}$"))
    number = issued.locator("[data-number]").inner_text()
    expect(issued.locator("[data-ahead]")).to_have_text("0")
    expect(kiosk.locator("iframe.print-frame")).to_have_attribute(
        "src", re.compile(r"/print\?paper=80")
    )
    qr = issued.locator("[data-qr]")
    expect(qr).to_have_attribute("src", re.compile(r"^/t/[\w-]+/qr\.svg$"))
    wait_until(kiosk, "document.querySelector('[data-qr]').naturalWidth > 0")
    save(kiosk, screenshots, "kiosk-issued")
    token = (qr.get_attribute("src") or "").split("/")[2]

    # The customer follows the ticket on a phone.
    phone = screen(360, 740, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/t/{token}")
    expect(phone.locator("[data-number]")).to_have_text(number)
    expect(phone.locator("[data-state]")).to_have_text("等候中")
    expect(phone.locator("[data-position]")).to_have_text("1")
    expect(phone.locator("[data-conn]")).to_have_text("实时更新")
    fits(phone, "main")
    save(phone, screenshots, "status-waiting", full=True)

    # F1 calls the customer; the board shows it and queues the announcement.
    expect(teller.locator("[data-waiting-service=B] td.num")).to_have_text("1")
    save(teller, screenshots, "console-before-call")
    teller.keyboard.press("F1")
    expect(teller.locator("[data-number]")).to_have_text(number)
    announcement = f"请{number}号到3号窗口办理"  # the outlet's template
    expect(board.locator("[data-now-number]")).to_have_text(number)
    expect(board.locator("[data-now-counter]")).to_have_text("3号窗口")
    expect(board.locator("[data-counter='3'] .t")).to_have_text(number)
    wait_until(board, "text => window.manyiSpeaker.log.some(e => e.text === text)", announcement)
    expect(phone.locator("[data-where]")).to_have_text("请到 3 号窗口")
    save(phone, screenshots, "status-called", full=True)

    # F2 recalls: announced again, after the first, never instead of it.
    teller.keyboard.press("F2")
    wait_until(
        board,
        "text => window.manyiSpeaker.log.filter(e => e.text === text).length === 2",
        announcement,
    )
    spoken = board.evaluate("window.manyiSpeaker.log.map(e => e.text)")
    assert spoken[-2:] == [announcement, announcement]
    fits(board, "main")
    save(board, screenshots, "board-1920x1080")

    teller.keyboard.press("F3")
    expect(teller.locator("[data-meta] .tag.info")).to_have_text("办理中")
    save(teller, screenshots, "console-serving")
    teller.keyboard.press("F4")
    expect(teller.locator("[data-number]")).to_have_text("—")
    expect(teller.locator("[data-served]")).to_have_text("1")

    # The rating pad asks; the customer is not happy and says why.
    expect(pad.get_by_role("heading", name=re.compile("您对我们的服务满意吗"))).to_be_visible()
    expect(pad.locator("[data-number]")).to_have_text(number)
    save(pad, screenshots, "rating-pad-ask")
    pad.get_by_role("button", name="不满意").click()
    pad.get_by_role("button", name="等候时间长").click()
    save(pad, screenshots, "rating-pad-reason")
    pad.get_by_role("button", name="提交").click()
    expect(pad.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
    expect(phone.locator("[data-done]")).to_have_text("业务已办结，感谢您的光临。")

    # The lobby manager sees the rating as an alert on the dashboard.
    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.get_by_role("navigation").get_by_role("link", name="大堂看板").click()
    alert = manager.locator("[data-alert=dissatisfied_rating]")
    expect(alert).to_contain_text(f"{number}")
    expect(alert).to_contain_text("等候时间长")
    expect(manager.locator("[data-kpi=ratings] [data-v]")).to_have_text("1/1")
    expect(manager.locator("[data-counter='3']")).to_contain_text("张伟")
    save(manager, screenshots, "dashboard", full=True)
    alert.get_by_role("button", name="已处理").click()
    expect(manager.locator("[data-alert=dissatisfied_rating]")).to_have_count(0)
    teller.keyboard.press("F9")  # the teller signs off; the dashboard follows
    expect(teller.locator("[data-signon]")).to_be_visible()
    expect(manager.locator("[data-counter='3']")).to_contain_text("已关闭")


def test_printed_ticket_views(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], screenshots: Path
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, tokens["kiosk"])
    kiosk.locator("[data-screen=home] [data-green]").click()
    kiosk.locator("[data-screen=green] [data-service=A]").click()
    expect(kiosk.locator("[data-confirm-service]")).to_have_text("个人现金业务")
    save(kiosk, screenshots, "kiosk-green-confirm")
    kiosk.get_by_role("button", name="确认，领取绿色通道号").click()
    number = kiosk.get_by_test_id("issued").locator("[data-number]")
    expect(number).to_have_text(re.compile(r"^A\d{3}$"))
    src = kiosk.locator("[data-qr]").get_attribute("src") or ""
    token = src.split("/")[2]
    for paper, width in ((80, 320), (58, 240)):
        view = screen(width, 800).new_page()
        view.goto(f"/t/{token}/print?paper={paper}")
        expect(view.locator("body")).to_contain_text(number.inner_text())
        expect(view.locator("body")).to_contain_text("绿色通道")
        expect(view.locator("svg")).to_be_visible()
        save(view, screenshots, f"ticket-{paper}mm", full=True)


def test_console_pages_need_staff_and_devices_need_pairing(
    screen: Callable[..., BrowserContext],
) -> None:
    page = screen(1280, 800).new_page()
    page.goto("/device/board")
    expect(page).to_have_url(re.compile(r"/device/pair$"))
    page.locator("#token").fill("mdt_not-a-real-token")
    page.get_by_role("button", name="配对").click()
    expect(page.get_by_role("alert")).to_contain_text("设备令牌无效")
    page.goto("/lobby/console")
    expect(page).to_have_url(re.compile(r"/signin\?next=/lobby/console$"))
