"""End-to-end: the pre-fill's ways in, in real Chromium — the kiosk's version on its
1080×1920 touch screen, and the link on a waiting ticket's status page on a phone.

Screenshots go to test-artifacts/screenshots/kiosk-prefill-*.png and
ticket-status-prefill.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, device_secret, pair, same_clock

pytestmark = pytest.mark.e2e
OUTLET = "SH-PD-LJZ"  # 陆家嘴 of this module's own demo bank


@pytest.fixture(scope="module")
def kiosk_secret(e2e_database_url: str) -> str:
    return device_secret(e2e_database_url, OUTLET, "kiosk", "e2e kiosk pre-fill")


def open_context(
    browser: Browser, base_url: str, width: int, height: int, **kw: bool
) -> BrowserContext:
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": width, "height": height}, locale="zh-CN", **kw
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    return ctx


@pytest.fixture
def kiosk(browser: Browser, base_url: str, kiosk_secret: str) -> Iterator[Page]:
    ctx = open_context(browser, base_url, 1080, 1920, has_touch=True)
    page = ctx.new_page()
    pair(page, kiosk_secret)
    yield page
    ctx.close()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_a_customer_prefills_at_the_kiosk_with_a_lifetime_id_card(
    kiosk: Page, screenshots: Path
) -> None:
    page = kiosk
    expect(page).to_have_url(re.compile(r"/device/kiosk$"))
    start = page.get_by_test_id("kiosk-prefill")
    expect(start).to_be_visible()
    save(page, screenshots, "kiosk-prefill-start")
    start.click()

    expect(page.get_by_role("heading", name="今天您要办理哪些业务？")).to_be_visible()
    expect(page.get_by_test_id("kiosk-home")).to_be_visible()
    # Sizes are read only once the page's stylesheet has loaded: on a busy machine the
    # heading can show before it does, and the tile measures as plain text (20 px).
    page.wait_for_load_state("load")
    tile = page.locator("label[for=t-open_account]")
    assert tile.bounding_box()["height"] >= 120  # type: ignore[index]
    for code in ("open_account", "deposit"):
        page.locator(f"label[for=t-{code}]").click()
    save(page, screenshots, "kiosk-prefill-pick")
    page.get_by_role("button", name="下一步：填写信息").click()

    expect(page.get_by_role("heading", name="填写一张表")).to_be_visible()
    expect(page.get_by_test_id("kiosk-home")).to_be_visible()
    page.locator("#f-customer_name").fill("王淑芬")
    page.locator("#f-id_number").fill("11010519491231002x")
    page.locator("#f-mobile").fill("13812345678")
    page.locator("label[for=f-id_valid_until-long]").click()
    expect(page.locator("#f-id_valid_until")).to_be_disabled()
    page.locator("#f-address").fill("北京市海淀区中关村大街27号")
    page.locator("#f-occupation").select_option("retired")
    page.locator("#f-item1-account_type").select_option("class_i")
    page.locator("#f-item2-amount").fill("500")
    save(page, screenshots, "kiosk-prefill-form")
    page.get_by_role("button", name="提交，获取预填码").click()

    expect(page).to_have_url(re.compile(r"/device/prefill/done$"))
    code = re.sub(r"\s", "", page.locator("[data-code]").inner_text())
    assert re.fullmatch(r"[A-Z2-9]{8}", code), code
    page.wait_for_load_state("load")
    size = page.locator("[data-code]").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 96
    qr = page.locator("[data-qr] svg").bounding_box()
    assert qr is not None and qr["width"] >= 400
    expect(page.locator("[data-idle]")).to_have_text(re.compile(r"\d+ 秒后返回首页"))
    save(page, screenshots, "kiosk-prefill-done")
    page.get_by_role("link", name="完成").click()
    expect(page).to_have_url(re.compile(r"/device/kiosk$"))
    page.goto("/device/prefill/done")  # the next customer does not find the code
    expect(page).to_have_url(re.compile(r"/device/prefill$"))


def test_the_kiosk_prefill_goes_back_to_the_start_after_a_minute_untouched(
    kiosk: Page,
) -> None:
    page = kiosk
    page.clock.install()
    page.goto("/device/prefill/form?t=deposit")
    expect(page.get_by_role("heading", name="填写一张表")).to_be_visible()
    page.clock.run_for(30_000)
    expect(page).to_have_url(re.compile(r"/device/prefill/form"))
    page.locator("#f-customer_name").fill("王")  # a touch: the minute starts again
    page.clock.run_for(50_000)
    expect(page.locator("[data-idle]")).to_be_visible()
    page.clock.run_for(11_000)
    expect(page).to_have_url(re.compile(r"/device/kiosk$"))


def test_a_waiting_ticket_offers_the_prefill(
    browser: Browser, base_url: str, kiosk_secret: str, screenshots: Path
) -> None:
    with httpx.Client(base_url=base_url) as http:
        ticket = http.post(
            "/device/api/v1/lobby/tickets",
            json={"service": "V"},
            headers={"Authorization": f"Bearer {kiosk_secret}"},
        ).json()
    ctx = open_context(browser, base_url, 390, 844, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(f"/t/{ticket['token']}")
        link = page.get_by_role("link", name="预填单，到柜台更快")
        expect(link).to_be_visible()
        save(page, screenshots, "ticket-status-prefill")
        link.click()
        expect(page).to_have_url(re.compile(rf"/prefill/{OUTLET}\?ticket="))
        expect(page.locator("input[name=ticket]")).to_have_value(ticket["token"])
    finally:
        ctx.close()
