"""End-to-end: the database goes away under the kiosk and the teller console, then comes back.

The module's server runs on its own copy of the demo bank (SQLite, one directory of its own,
opened anew by every unit of work); moving that directory away is a disk that vanished: every
request that needs the database answers 503 with Retry-After. The screens must say
"服务暂时不可用，正在重试…" and, once the directory is back, finish what was asked without a
reload. Screenshots: test-artifacts/screenshots/away-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from manyi.db import Database
from manyi.lobby.tables import LobbyTicket
from tests.e2e.conftest import TIMEOUT_MS, device_secret, pair, same_clock, sign_in
from tests.live_server import TcpProxy

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
AWAY = "服务暂时不可用，正在重试…"
# The kiosk waits at least the server's Retry-After (5 s) between tries, less 20 % jitter.
BACK_MS = 20_000


class Disk:
    """The directory holding this module's database file: `away()` and `back()` move it."""

    def __init__(self, database_url: str) -> None:
        self.home = Path(database_url.removeprefix("sqlite:///")).parent
        self.elsewhere = self.home.with_name(self.home.name + "-unmounted")

    def away(self) -> None:
        self.home.rename(self.elsewhere)

    def back(self) -> None:
        if self.elsewhere.exists():
            self.elsewhere.rename(self.home)


@pytest.fixture
def disk(e2e_database_url: str, base_url: str) -> Iterator[Disk]:
    disk = Disk(e2e_database_url)
    yield disk
    disk.back()  # whatever happened, the next test has its database


def numbers_taken(database_url: str) -> list[str]:
    database = Database(database_url)
    try:
        with database.session() as session:
            return list(session.scalars(select(LobbyTicket.number)))
    finally:
        database.dispose()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"away-{name}.png"))


def test_kiosk_says_so_and_issues_the_number_when_the_database_is_back(
    screen: Callable[..., BrowserContext],
    disk: Disk,
    e2e_database_url: str,
    screenshots: Path,
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, device_secret(e2e_database_url, OUTLET, "kiosk", "e2e kiosk (away)"))
    expect(kiosk).to_have_url(re.compile(r"/device/kiosk$"))
    expect(kiosk.locator("[data-screen=home] [data-service=B]")).to_be_visible()
    before = numbers_taken(e2e_database_url)

    disk.away()
    kiosk.locator("[data-screen=home] [data-service=B]").click()
    waiting = kiosk.get_by_test_id("kiosk-unavailable")
    expect(waiting).to_be_visible()
    expect(waiting).to_contain_text(AWAY)
    expect(kiosk.locator("[data-unavailable]")).to_have_text(AWAY)
    save(kiosk, screenshots, "kiosk-retrying")

    disk.back()
    issued = kiosk.get_by_test_id("issued")
    expect(issued.locator("[data-number]")).to_have_text(re.compile(r"^B\d{3}$"), timeout=BACK_MS)
    expect(kiosk.locator("[data-unavailable]")).to_be_hidden()
    save(kiosk, screenshots, "kiosk-recovered")
    # One number for one tap: the refused tries took none.
    after = numbers_taken(e2e_database_url)
    assert len(after) == len(before) + 1
    assert issued.locator("[data-number]").inner_text() in after


def test_console_says_so_and_calls_when_the_database_is_back(
    screen: Callable[..., BrowserContext],
    disk: Disk,
    e2e_database_url: str,
    base_url: str,
    screenshots: Path,
) -> None:
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller2")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("4")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("4号窗口")
    expect(teller.locator("[data-conn]")).to_have_text("实时")
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, device_secret(e2e_database_url, OUTLET, "kiosk", "e2e kiosk (console)"))
    kiosk.locator("[data-screen=home] [data-service=B]").click()
    number = kiosk.get_by_test_id("issued").locator("[data-number]")
    expect(number).to_have_text(re.compile(r"^B\d{3}$"))  # someone waits for counter 4

    disk.away()
    teller.keyboard.press("F1")
    expect(teller.locator("[data-message]")).to_have_text(AWAY)
    expect(teller.locator("[data-conn]")).to_have_text(AWAY)
    save(teller, screenshots, "console-retrying")

    disk.back()
    # The key was refused with a 503 (nothing done), so the console sends it again.
    expect(teller.locator("[data-number]")).not_to_have_text("—", timeout=BACK_MS)
    expect(teller.locator("[data-message]")).to_be_hidden()
    expect(teller.locator("[data-conn]")).to_have_text("实时", timeout=BACK_MS)
    called = teller.locator("[data-number]").inner_text()
    assert re.fullmatch(r"[A-Z]\d{3}", called), called
    save(teller, screenshots, "console-recovered")


def test_board_says_so_and_comes_back_live(
    browser: Browser, disk: Disk, e2e_database_url: str, base_url: str, screenshots: Path
) -> None:
    # The board's own link runs through a relay: cutting it makes the board reconnect while
    # the database is away, as it does when the app server restarts during the outage.
    proxy = TcpProxy(int(base_url.rsplit(":", 1)[1]))
    context = browser.new_context(
        base_url=proxy.url, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    same_clock(context)
    try:
        board = context.new_page()
        pair(board, device_secret(e2e_database_url, OUTLET, "display", "e2e board (away)"))
        conn = board.locator("[data-conn]")
        expect(conn).to_have_text("实时")

        disk.away()
        proxy.cut()
        proxy.restore()
        expect(conn).to_have_text(AWAY, timeout=BACK_MS)
        expect(conn).to_have_attribute("data-state", "unavailable")
        save(board, screenshots, "board-retrying")

        disk.back()
        expect(conn).to_have_text("实时", timeout=BACK_MS)
        expect(board.locator("[data-counter]").first).to_be_visible()
    finally:
        context.close()
        proxy.close()
