"""End-to-end: the board's voices for older customers, in real Chromium. The board speaks
Mandarin, English and a dialect at the outlet's rate, one announcement after another, and keeps
each call on screen for the outlet's hold time even when the next call comes at once
(Playwright's clock). Screenshots: test-artifacts/screenshots/elderly-board*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.lobby import layouts
from manyi.lobby.tables import LobbySettings
from manyi.org.tables import Unit
from tests.e2e.conftest import device_secret, pair, sign_in, wait_until
from tests.elderly_helpers import FAKE_SPEECH, OUTLET, kiosk_token_fixture, shot, take_ticket  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def board_voices(url: str, **settings: Any) -> None:
    database = Database(url)
    try:
        with database.session() as session:
            outlet = session.query(Unit).filter_by(code=OUTLET).one()
            row = session.get(LobbySettings, outlet.id)
            assert row is not None
            for key, value in settings.items():
                setattr(row, key, value)
            session.commit()
            layouts.forget(session, outlet.id)  # the server runs in this process
    finally:
        database.dispose()


def test_the_board_speaks_three_voices_slowly_and_holds_each_call(
    screen: Callable[..., BrowserContext],
    base_url: str,
    e2e_database_url: str,
    kiosk_token: str,
    screenshots: Path,
) -> None:
    board_voices(
        e2e_database_url,
        announce_en=True,
        announce_dialect="zh-HK",
        speech_rate_pct=70,
        call_hold_s=12,
    )
    pad = device_secret(e2e_database_url, OUTLET, "counter_pad", "e2e elderly pad", counter=6)
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller2")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("6")  # 贵宾理财
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("6号窗口")
    context = screen(1920, 1080)
    context.add_init_script(FAKE_SPEECH)
    board = context.new_page()
    pair(board, device_secret(e2e_database_url, OUTLET, "display", "e2e elderly board"))
    expect(board.locator("[data-conn]")).to_have_text("实时")
    expect(board.locator("[data-counter='6']")).to_have_attribute("data-state", "open")

    first = take_ticket(base_url, kiosk_token, "V")["number"]
    second = take_ticket(base_url, kiosk_token, "V")["number"]
    # The board's clock stands still from here; the test moves it.
    board.clock.pause_at(board.evaluate("Date.now()") / 1000 + 1)  # in seconds
    headers = {"Authorization": f"Bearer {pad}"}
    with httpx.Client(base_url=base_url, headers=headers) as http:
        # Two calls within a few milliseconds: the first must stay readable.
        for action in ("call-next", "start", "complete", "call-next"):
            assert http.post(f"/device/api/v1/lobby/counters/6/{action}").is_success
    wait_until(board, "n => window.manyiNow.waiting.some(c => c.number === n)", second)
    now = board.locator("[data-now-number]")
    expect(now).to_have_text(first)
    # The counter's tile and the recent calls show the second call at once.
    expect(board.locator("[data-counter='6'] .t")).to_have_text(second)
    expect(board.locator("[data-recent] li").first).to_contain_text(second)

    queued = board.evaluate("window.manyiSpeaker.log.map(e => [e.text, e.lang, e.rate])")
    zh, en = f"请{first}号到6号窗口办理", f"Number {first}, please go to counter 6"
    assert queued[:3] == [[zh, "zh-CN", 0.7], [en, "en-US", 0.7], [zh, "zh-HK", 0.7]]
    assert [e[0] for e in queued[3:6]] == [
        f"请{second}号到6号窗口办理",
        f"Number {second}, please go to counter 6",
        f"请{second}号到6号窗口办理",
    ]
    board.clock.run_for(11_000)
    expect(now).to_have_text(first)  # 11 s: still the first call
    shot(board, screenshots, "board-hold")
    board.clock.run_for(1_500)
    expect(now).to_have_text(second)  # after 12 s, the second
    shown = board.evaluate("window.manyiNow.log.slice(-2)")
    assert [s["number"] for s in shown] == [first, second]
    assert shown[1]["at"] - shown[0]["at"] >= 12_000

    # Every announcement spoken in turn, in its own voice, at 70 %.
    board.clock.run_for(20_000)
    spoken = board.evaluate("fakeSpeech.log.filter(e => e.text.trim())")
    assert [(e["voice"], e["rate"]) for e in spoken[:3]] == [
        ("zh-CN", 0.7),
        ("en-US", 0.7),
        ("zh-HK", 0.7),
    ]
    assert len(spoken) == 6
    shot(board, screenshots, "board")
    board_voices(e2e_database_url, announce_en=False, announce_dialect="", call_hold_s=10)
