"""End-to-end: a customer's visit through every lobby screen, in real Chromium.

Kiosk (1080×1920) → status page on a phone → the teller calls with F1 → the
board (1920×1080) shows the call and queues the announcement → the status page
says which counter → complete → the rating pad asks → the rating reaches the
lobby manager's dashboard. Screenshots of every screen go to
test-artifacts/screenshots/lobby-*.png.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select

from manyi.db import Database
from manyi.notify.channels import InAppChannel
from manyi.notify.delivery import deliver_due
from manyi.notify.tables import NotifyMessage
from manyi.org import device_tokens
from manyi.org.tables import Unit
from tests.conftest import SYSTEM
from tests.e2e.conftest import TIMEOUT_MS, pair, same_clock, sign_in, wait_until
from tests.live_server import TcpProxy

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"


@pytest.fixture(scope="module")
def tokens(e2e_database_url: str) -> dict[str, str]:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            outlet = session.query(Unit).filter_by(code=OUTLET).one()
            out = {}
            # The rating pad at counter 3, the calling pad at counter 6 (贵宾理财).
            bound = {"rating_pad": 3, "counter_pad": 6}
            for kind in ("kiosk", "display", "rating_pad", "counter_pad"):
                _, secret = device_tokens.issue_token(
                    session,
                    SYSTEM,
                    outlet_id=outlet.id,
                    kind=kind,
                    name=f"e2e {kind}",
                    valid_days=1,
                    counter=bound.get(kind),
                )
                out[kind] = secret
            return out
    finally:
        database.dispose()


def save(page: Page, screenshots: Path, name: str, full: bool = False) -> None:
    page.screenshot(path=str(screenshots / f"lobby-{name}.png"), full_page=full)


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


def test_board_that_loses_its_connection_misses_no_call(
    browser: Browser, screen: Callable[..., BrowserContext], tokens: dict[str, str], base_url: str
) -> None:
    proxy = TcpProxy(int(base_url.rsplit(":", 1)[1]))  # the board's network link
    board_context = browser.new_context(
        base_url=proxy.url, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    board_context.set_default_timeout(TIMEOUT_MS)
    same_clock(board_context)
    try:
        board = board_context.new_page()
        pair(board, tokens["display"])
        expect(board.locator("[data-conn]")).to_have_text("实时")
        teller = screen(1440, 900).new_page()
        sign_in(teller, "zgc.teller2")
        teller.goto("/lobby/console")
        teller.locator("[data-counter-select]").select_option("4")
        teller.get_by_role("button", name="签到").click()
        expect(teller.locator("[data-my-counter]")).to_have_text("4号窗口")
        kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
        with httpx.Client(base_url=base_url) as http:
            numbers = [
                http.post(
                    "/device/api/v1/lobby/tickets", json={"service": "B"}, headers=kiosk
                ).json()["number"]
                for _ in range(2)
            ]

        proxy.cut()  # the board's network drops
        expect(board.locator("[data-conn]")).to_have_text("正在重新连接…")
        teller.keyboard.press("F1")  # called while the board is away
        expect(teller.locator("[data-number]")).to_have_text(numbers[0])
        proxy.restore()

        expect(board.locator("[data-conn]")).to_have_text("实时")
        expect(board.locator("[data-counter='4'] .t")).to_have_text(numbers[0])
        missed = f"请{numbers[0]}号到4号窗口办理"
        wait_until(board, "text => window.manyiSpeaker.log.some(e => e.text === text)", missed)
        for key in ("F3", "F4", "F1"):  # serve them; the next call arrives live again
            teller.keyboard.press(key)
            expect(teller.locator("[data-message]")).to_be_hidden()
        expect(board.locator("[data-counter='4'] .t")).to_have_text(numbers[1])
        for key in ("F3", "F4"):
            teller.keyboard.press(key)
        expect(teller.locator("[data-number]")).to_have_text("—")
        teller.keyboard.press("F9")
        expect(teller.locator("[data-signon]")).to_be_visible()
    finally:
        board_context.close()
        proxy.close()


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


# A stand-in for the browser's speech engine: each utterance "speaks" for 400 ms.
FAKE_SPEECH = """
(() => {
  const log = [];
  let cancels = 0;
  const fake = {
    speaking: false,
    pending: false,
    getVoices: () => [],
    cancel: () => { cancels += 1; },
    speak(utterance) {
      const entry = { text: utterance.text, start: performance.now(), end: null };
      log.push(entry);
      fake.speaking = true;
      setTimeout(() => {
        entry.end = performance.now();
        fake.speaking = false;
        utterance.onend && utterance.onend();
      }, 400);
    },
  };
  Object.defineProperty(window, "speechSynthesis", { value: fake });
  window.fakeSpeech = { log, cancels: () => cancels };
})();
"""


def test_announcements_are_spoken_one_after_another(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], base_url: str
) -> None:
    board_context = screen(1920, 1080)
    board_context.add_init_script(FAKE_SPEECH)
    board = board_context.new_page()
    pair(board, tokens["display"])
    expect(board.locator("[data-conn]")).to_have_text("实时")
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller2")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("6")  # 贵宾理财: 刘洋 has the skill
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("6号窗口")
    pad = {"Authorization": f"Bearer {tokens['counter_pad']}"}
    with httpx.Client(base_url=base_url) as http:
        number = http.post(
            "/device/api/v1/lobby/tickets",
            json={"service": "V"},
            headers={"Authorization": f"Bearer {tokens['kiosk']}"},
        ).json()["number"]
        # A call and two recalls within a few milliseconds of each other.
        for action in ("call-next", "recall", "recall"):
            assert http.post(f"/device/api/v1/lobby/counters/6/{action}", headers=pad).is_success
    text = f"请{number}号到6号窗口办理"
    wait_until(
        board,
        "text => fakeSpeech.log.filter(e => e.text === text && e.end !== null).length === 3",
        text,
        timeout=15_000,
    )
    spoken = board.evaluate("fakeSpeech.log")
    mine = [e for e in spoken if e["text"] == text]
    for before, after in itertools.pairwise(mine):
        assert after["start"] >= before["end"], "an announcement started before the last ended"
    assert board.evaluate("fakeSpeech.cancels()") == 0
    with httpx.Client(base_url=base_url) as http:
        for action in ("start", "complete"):
            http.post(f"/device/api/v1/lobby/counters/6/{action}", headers=pad)
    teller.reload()
    expect(teller.locator("[data-number]")).to_have_text("—")
    # The console's keys act once its script has the teller's state (F9 is ignored before).
    expect(teller.locator("body[data-console-ready]")).to_have_count(1)
    expect(teller.locator('[data-action="close"]')).to_be_enabled()
    teller.keyboard.press("F9")
    expect(teller.locator("[data-signon]")).to_be_visible()
