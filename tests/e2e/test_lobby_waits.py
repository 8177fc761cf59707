"""End-to-end: the wait a customer is told, in real Chromium.

Only counter 3 (个人现金 A and 个人非现金 B) is open at the demo's 中关村 outlet, which has a
morning of history to calibrate its 80 % range on. The kiosk gives a ticket for A with a
range ("约 x–y 分钟"); the status page and the lobby manager's dashboard say the same. 对公业务
(C), which no open counter serves, is marked on the kiosk's home screen, and its ticket says
that no open counter serves it instead of promising no wait. Screenshots:
test-artifacts/screenshots/lobby-waits-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.db import Database
from manyi.forecast import live_advice, live_bands
from manyi.lobby import counters, layouts, service
from tests.e2e.conftest import pair, sign_in
from tests.lobby_helpers import operator
from tests.lobby_screen_helpers import OUTLET, save, tokens_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
MIN = dt.timedelta(minutes=1)
RANGE = re.compile(r"^(约 \d+–\d+ 分钟|\d+ 分钟内)$")


@pytest.fixture(scope="module")
def morning(e2e_database_url: str, e2e_clock: dt.datetime) -> None:
    """Forty customers of A served at counter 2 earlier today, then only counter 3 open."""
    database = Database(e2e_database_url)
    at = e2e_clock - dt.timedelta(hours=4)
    try:
        with database.session() as session:
            counters.open_counter(session, operator(session, "zgc.teller2"), OUTLET, 2, at)
        for i in range(40):
            with database.session() as session:
                service.issue_ticket(session, operator(session, "zgc.lobby"), OUTLET, "A", at)
            called = at + (i % 6) * MIN
            with database.session() as session:
                teller = operator(session, "zgc.teller2")
                counters.call_next(session, teller, OUTLET, 2, called)
                counters.complete(session, teller, OUTLET, 2, called + 3 * MIN)
            at = called + 4 * MIN
        with database.session() as session:
            counters.close_counter(session, operator(session, "zgc.teller2"), OUTLET, 2, at)
            counters.open_counter(session, operator(session, "zgc.teller1"), OUTLET, 3, e2e_clock)
    finally:
        database.dispose()
    live_bands.forget()  # the server recalibrates once a minute; the test does not wait


def take(kiosk: Page, code: str) -> str:
    kiosk.locator(f"[data-screen=home] [data-service={code}]").click()
    issued = kiosk.get_by_test_id("issued")
    expect(issued.locator("[data-number]")).to_have_text(re.compile(rf"^{code}\d{{3}}$"))
    return (issued.locator("[data-qr]").get_attribute("src") or "").split("/")[2]


@pytest.mark.usefixtures("morning")
def test_kiosk_status_page_and_dashboard_tell_one_wait(
    screen: Callable[..., BrowserContext],
    tokens: dict[str, str],
    screenshots: Path,
    e2e_database_url: str,
    e2e_clock: dt.datetime,
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, tokens["kiosk"])
    corporate = kiosk.locator("[data-screen=home] [data-service=C] [data-unserved]")
    expect(corporate).to_have_text("暂无窗口办理")
    expect(kiosk.locator("[data-screen=home] [data-service=A] [data-unserved]")).to_have_count(0)
    save(kiosk, screenshots, "waits-kiosk-home")

    # 对公业务: nobody will call it until a counter opens for it, and the kiosk says so.
    take(kiosk, "C")
    issued = kiosk.get_by_test_id("issued")
    expect(issued.locator("[data-wait]")).to_have_text("暂无窗口办理此业务，请咨询大堂经理")
    expect(issued.locator("[data-ahead-fact]")).to_be_hidden()
    save(kiosk, screenshots, "waits-kiosk-unserved")
    kiosk.locator("[data-screen=result] [data-home]").click()

    # 个人现金: a place and a range, the same on the phone and on the dashboard.
    token = take(kiosk, "A")
    wait = issued.locator("[data-wait]")
    expect(wait).to_have_text(RANGE)
    told = wait.inner_text()
    expect(issued.locator("[data-ahead]")).to_have_text("0")
    save(kiosk, screenshots, "waits-kiosk-range")

    phone = screen(360, 740, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/t/{token}")
    expect(phone.locator("[data-wait]")).to_have_text(told)
    expect(phone.locator("[data-position]")).to_have_text("1")
    save(phone, screenshots, "waits-status", full=True)

    # The worker's advice round (once a minute) notices the customer nobody will call.
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            outlet = layouts.outlet_by_code(session, OUTLET)
            live_advice.evaluate_outlet(session, outlet, e2e_clock + MIN)
    finally:
        database.dispose()

    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.goto("/lobby/dashboard")
    advice = manager.locator("[data-advice-action=open_for_service]")
    row = manager.locator("[data-services] [data-service=C]")
    expect(row).to_contain_text("暂无窗口办理")
    expect(manager.locator("[data-kpi=predicted] [data-s]")).to_contain_text("C")
    # A new ticket for A would now stand behind the one just taken: a range again.
    expect(manager.locator("[data-services] [data-service=A] td").last).to_have_text(RANGE)
    expect(advice).to_contain_text("1 人在等候 C 业务，但没有开放的窗口办理：建议开放 5 号窗口。")
    save(manager, screenshots, "waits-dashboard", full=True)


@pytest.mark.usefixtures("morning")
def test_the_kiosk_in_english_says_no_counter_serves_it(
    screen: Callable[..., BrowserContext],
    tokens: dict[str, str],
    screenshots: Path,
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, tokens["kiosk"])
    kiosk.get_by_role("link", name="English").click()
    expect(kiosk.get_by_role("heading", name="Please choose your business")).to_be_visible()
    fast = kiosk.locator("[data-screen=home] [data-service=K] [data-unserved]")
    expect(fast).to_have_text("No counter open")
    take(kiosk, "K")
    wait = kiosk.get_by_test_id("issued").locator("[data-wait]")
    expect(wait).to_have_text("No open counter serves this now; please ask the lobby manager")
    save(kiosk, screenshots, "waits-kiosk-unserved-en")
