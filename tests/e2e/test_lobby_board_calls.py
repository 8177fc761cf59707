"""End-to-end: the board's calls, in real Chromium. A board whose network link drops (a TCP
relay cut and restored) misses no call and announces the one made while it was away; a call and
two recalls in a few milliseconds are spoken one after another, never cut off.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import TIMEOUT_MS, pair, same_clock, sign_in, wait_until
from tests.live_server import TcpProxy
from tests.lobby_screen_helpers import tokens_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


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
