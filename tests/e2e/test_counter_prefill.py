"""End-to-end: a customer pre-fills four transactions on a 390×844 phone and gets a code.

Real Chromium: the tiles, the one merged form, an inline problem while typing a bad
mobile number (the live check), the code with its QR code. Screenshots go to
test-artifacts/screenshots/prefill-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from manyi.counter import catalogue_store
from manyi.db import Database
from tests.e2e.conftest import TIMEOUT_MS, readable, same_clock

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"  # 中关村营业室 of the demo bank


@pytest.fixture
def phone(browser: Browser, base_url: str, e2e_database_url: str) -> Iterator[Page]:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session)  # adds only what is missing
    finally:
        database.dispose()
    ctx = browser.new_context(
        base_url=base_url,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    yield ctx.new_page()
    ctx.close()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"prefill-{name}.png"), full_page=True)


def test_a_customer_prefills_an_account_opening_bundle(phone: Page, screenshots: Path) -> None:
    page = phone
    page.goto(f"/prefill/{OUTLET}")
    expect(page.get_by_role("heading", name="今天您要办理哪些业务？")).to_be_visible()
    for code in ("open_account", "card_issue", "mobile_banking_signup", "deposit"):
        page.locator(f"label[for=t-{code}]").click()
        expect(page.locator(f"#t-{code}")).to_be_checked()
    readable(page)
    save(page, screenshots, "pick")
    page.get_by_role("button", name="下一步：填写信息").click()

    expect(page.get_by_role("heading", name="填写一张表")).to_be_visible()
    expect(page.locator("[data-section]")).to_have_count(5)
    expect(page.locator("[data-section=customer] legend")).to_have_text("您的信息")
    expect(page.locator("[name=mobile]")).to_have_count(1)
    readable(page)
    save(page, screenshots, "form")

    page.locator("#f-customer_name").fill("王淑芬")
    page.locator("#f-id_number").fill("11010519491231002X")
    # A digit short: the live check says so while the customer is still on the field.
    page.locator("#f-mobile").press_sequentially("1381234567", delay=30)
    problem = page.locator("[data-problem=mobile]")
    expect(problem).to_have_text(re.compile("手机号应为 11 位，实际为 10 位"))
    expect(page.locator("[data-problem=address]")).to_be_hidden()  # not reached yet
    readable(page)
    page.locator("[data-field=mobile]").screenshot(path=str(screenshots / "prefill-typing.png"))
    page.locator("#f-mobile").press_sequentially("8")
    expect(problem).to_be_hidden()

    page.locator("#f-id_valid_until").fill("2040-06-30")
    page.locator("#f-address").fill("北京市海淀区中关村大街27号")
    page.locator("#f-occupation").select_option("retired")
    page.locator("#f-item1-account_type").select_option("class_i")
    page.locator("#f-item4-amount").fill("500")
    readable(page)
    save(page, screenshots, "filled")
    page.get_by_role("button", name="提交，获取预填码").click()

    expect(page).to_have_url(re.compile(rf"/prefill/{OUTLET}/done$"))
    expect(page.get_by_text("请在柜台出示此码")).to_be_visible()
    code = re.sub(r"\s", "", page.locator("[data-code]").inner_text())
    assert re.fullmatch(r"[A-Z2-9]{8}", code), code
    page.wait_for_load_state("load")  # its stylesheet applied before a size is measured
    size = page.locator("[data-code]").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 48
    expect(page.locator("[data-qr] svg")).to_be_visible()
    expect(page.locator("[data-until]")).to_have_text(re.compile(r"有效期至 \d{4}年"))
    expect(page.get_by_test_id("transactions").locator("li")).to_have_count(4)
    expect(page.get_by_role("button", name="打印本页")).to_be_visible()
    readable(page)
    save(page, screenshots, "done")
