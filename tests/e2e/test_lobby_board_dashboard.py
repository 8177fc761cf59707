"""End-to-end: what the board and the lobby dashboard say is true, in real Chromium.

The board finds out whether speech works and asks for a touch only where it must (the
browser's speech engine is stubbed in the page: headless Chromium may or may not speak);
the badge never covers the calls; a counter that pauses after a call is shown paused.
The dashboard names customer classes (not counter kinds), explains its rating figure, and
its poster holds the configured public address. Screenshots go to
test-artifacts/screenshots/lobby-truth-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.config import Settings, load_settings
from manyi.counter.web import prefill_limits
from manyi.db import Database
from manyi.web.app import create_app
from tests.e2e.conftest import device_secret, pair, readable, sign_in
from tests.live_server import serve

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
PUBLIC = "https://manyi.example-bank.cn"


@pytest.fixture(scope="module")
def server_settings(e2e_database_url: str) -> Settings:
    """The server's settings, with the address phones reach it at."""
    return load_settings(
        database_url=e2e_database_url,
        secret_key="e2e-secret-" + "x" * 32,
        public_base_url=PUBLIC,
    )


@pytest.fixture(scope="module")
def base_url(e2e_database_url: str, server_settings: Settings) -> Iterator[str]:
    database = Database(e2e_database_url)
    try:
        with serve(create_app(server_settings, database)) as url:
            yield url
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def tokens(e2e_database_url: str) -> dict[str, str]:
    bound = {"counter_pad": 3}  # the calling pad at counter 3
    return {
        kind: device_secret(e2e_database_url, OUTLET, kind, f"e2e {kind}", bound.get(kind))
        for kind in ("kiosk", "display", "counter_pad")
    }


def save(page: Page, screenshots: Path, name: str, full: bool = False) -> None:
    page.screenshot(path=str(screenshots / f"lobby-truth-{name}.png"), full_page=full)


# Speech engines for the board's page. Working: every utterance starts and ends. Blocked:
# refused ("not-allowed") until a touch on this page, as Chrome's autoplay policy does.
SPEECH = """
(() => {
  let blocked = %s;
  document.addEventListener("pointerdown", () => { blocked = false; }, true);
  const log = [];
  const fake = {
    speaking: false,
    pending: false,
    getVoices: () => [],
    cancel: () => {},
    speak(utterance) {
      log.push(utterance.text);
      if (blocked) {
        setTimeout(() => utterance.onerror && utterance.onerror({ error: "not-allowed" }), 50);
        return;
      }
      setTimeout(() => utterance.onstart && utterance.onstart(), 20);
      setTimeout(() => utterance.onend && utterance.onend(), 200);
    },
  };
  Object.defineProperty(window, "speechSynthesis", { value: fake });
  window.fakeSpeech = { log };
})();
"""


def board_page(screen: Callable[..., BrowserContext], token: str, *, blocked: bool) -> Page:
    context = screen(1920, 1080)
    context.add_init_script(SPEECH % ("true" if blocked else "false"))
    board = context.new_page()
    pair(board, token)
    expect(board.locator("[data-conn]")).to_have_text("实时")
    return board


def test_the_board_shows_no_voice_badge_where_speech_works(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], screenshots: Path
) -> None:
    board = board_page(screen, tokens["display"], blocked=False)
    expect(board.get_by_test_id("board")).to_have_attribute("data-voice-state", "on")
    expect(board.locator("[data-voice]")).to_be_hidden()
    save(board, screenshots, "board-voice-works")


def test_the_board_asks_for_a_touch_only_where_speech_is_blocked(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], screenshots: Path
) -> None:
    board = board_page(screen, tokens["display"], blocked=True)
    expect(board.get_by_test_id("board")).to_have_attribute("data-voice-state", "needs-touch")
    badge = board.locator("[data-voice]")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("点击屏幕开启语音叫号")
    # The badge sits in the top bar: it covers neither the calls nor the recent calls.
    box = badge.bounding_box()
    assert box
    for covered in ("section.recent", "[data-now]", "[data-counters]"):
        other = board.locator(covered).bounding_box()
        assert other
        assert box["y"] + box["height"] <= other["y"], covered
    save(board, screenshots, "board-voice-needs-touch")
    board.mouse.click(960, 700)  # a touch anywhere turns voice on
    expect(board.get_by_test_id("board")).to_have_attribute("data-voice-state", "on")
    expect(badge).to_be_hidden()


def test_a_counter_that_pauses_after_a_call_is_shown_paused(
    screen: Callable[..., BrowserContext],
    tokens: dict[str, str],
    base_url: str,
    screenshots: Path,
) -> None:
    board = board_page(screen, tokens["display"], blocked=False)
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("3")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("3号窗口")
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    pad = {"Authorization": f"Bearer {tokens['counter_pad']}"}
    with httpx.Client(base_url=base_url) as http:
        ticket = http.post("/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk)
        number = ticket.json()["number"]
        assert http.post("/device/api/v1/lobby/counters/3/call-next", headers=pad).is_success
    now = board.locator("[data-now]")
    expect(board.locator("[data-now-number]")).to_have_text(number)
    expect(now).to_have_attribute("data-now-state", "calling")
    expect(board.locator("[data-now-stopped]")).to_be_hidden()
    with httpx.Client(base_url=base_url) as http:
        for action in ("start", "complete", "pause"):
            assert http.post(f"/device/api/v1/lobby/counters/3/{action}", headers=pad).is_success
    expect(now).to_have_attribute("data-now-state", "paused")
    expect(board.locator("[data-now-stopped]")).to_have_text("3号窗口暂停服务")
    expect(board.locator("[data-counter='3'] .t")).to_have_text("已暂停")
    save(board, screenshots, "board-counter-paused")
    with httpx.Client(base_url=base_url) as http:
        assert http.post("/device/api/v1/lobby/counters/3/resume", headers=pad).is_success
    expect(now).to_have_attribute("data-now-state", "calling")
    expect(board.locator("[data-counter='3'] .t")).not_to_have_text("已暂停")


def test_the_dashboard_names_classes_explains_ratings_and_prints_a_reachable_poster(
    screen: Callable[..., BrowserContext], tokens: dict[str, str], base_url: str, screenshots: Path
) -> None:
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    with httpx.Client(base_url=base_url) as http:
        for _ in range(2):
            http.post("/device/api/v1/lobby/tickets", json={"service": "B"}, headers=kiosk)
    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.goto("/lobby/dashboard")
    manager.locator("[data-open-issue]").click()
    dialog = manager.locator("[data-dialog=issue]")
    dialog.locator("[data-issue-service]").select_option("B")
    dialog.locator("[data-issue-class]").select_option("vip")
    dialog.get_by_role("button", name="发号").click()

    classes = manager.locator("[data-service='B'] [data-by-class]")
    expect(classes).to_contain_text(re.compile(r"普通 \d+"))
    expect(classes).to_contain_text(re.compile(r"贵宾 \d+"))
    expect(classes).not_to_contain_text("窗口")
    ratings = manager.locator("[data-kpi='ratings'] [data-s]")
    expect(ratings).to_contain_text(re.compile(r"已评价 \d+ 人 / 已邀请 \d+ 人"))
    expect(ratings).to_contain_text(re.compile(r"已办结 \d+ 人，邀评率 \d+%"))
    expect(manager.get_by_test_id("poster-unready")).to_have_count(0)
    save(manager, screenshots, "dashboard", full=True)

    with manager.context.expect_page() as opened:
        manager.get_by_test_id("prefill-poster").click()
    poster = opened.value
    expect(poster.get_by_test_id("poster")).to_be_visible()
    expect(poster.locator(".url")).to_have_text(f"{PUBLIC}/prefill/{OUTLET}")
    expect(poster.locator("[data-qr] svg")).to_be_visible()
    save(poster, screenshots, "poster", full=True)


def test_a_phone_over_the_prefill_limit_keeps_its_typed_form(
    screen: Callable[..., BrowserContext],
    tokens: dict[str, str],
    screenshots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    chosen = "&".join(f"t={code}" for code in ("open_account", "card_issue", "deposit"))
    page.goto(f"/prefill/{OUTLET}/form?{chosen}")
    page.locator("#f-customer_name").fill("王淑芬")
    page.locator("#f-id_number").fill("11010519491231002X")
    page.locator("#f-mobile").fill("13812345678")
    page.locator("#f-id_valid_until").fill("2040-06-30")
    page.locator("#f-address").fill("北京市海淀区中关村大街27号")
    page.locator("#f-occupation").select_option("retired")
    page.locator("#f-item1-account_type").select_option("class_i")
    page.locator("#f-item3-amount").fill("500")
    monkeypatch.setattr(prefill_limits, "PHONE_SUBMITS", 0)  # this phone has sent its share
    page.get_by_role("button", name="提交，获取预填码").click()

    limited = page.get_by_test_id("limited")
    expect(limited).to_contain_text("这部手机在过去一小时内提交的预填单过多")
    expect(limited).to_contain_text("您填写的内容仍保留在下方")
    for field, value in (("customer_name", "王淑芬"), ("address", "北京市海淀区中关村大街27号")):
        expect(page.locator(f"#f-{field}")).to_have_value(value)
    expect(page.locator("#f-occupation")).to_have_value("retired")
    readable(page)
    save(page, screenshots, "prefill-refused-kept", full=True)

    monkeypatch.undo()  # an hour later: the same form goes through as it is
    page.get_by_role("button", name="提交，获取预填码").click()
    expect(page).to_have_url(re.compile(rf"/prefill/{OUTLET}/done$"))


def test_without_a_public_address_the_poster_is_refused_saying_why(
    screen: Callable[..., BrowserContext],
    server_settings: Settings,
    screenshots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_settings, "public_base_url", "")
    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.goto("/lobby/dashboard")
    expect(manager.get_by_test_id("poster-unready")).to_have_text(
        "需先配置公网地址（MANYI_PUBLIC_BASE_URL）"
    )
    manager.locator(".page-head").screenshot(
        path=str(screenshots / "lobby-truth-dashboard-head.png")
    )
    with manager.context.expect_page() as opened:
        manager.get_by_test_id("prefill-poster").click()
    refused = opened.value
    expect(refused.get_by_role("heading", name="暂时无法打印海报")).to_be_visible()
    expect(refused.get_by_test_id("poster-missing")).to_contain_text("手机无法访问")
    expect(refused.locator("[data-qr]")).to_have_count(0)
    save(refused, screenshots, "poster-refused")
