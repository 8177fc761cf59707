"""End-to-end, in real Chromium: the paperless counter from the customer's phone to the
e-voucher.

A customer takes a ticket at 陆家嘴, pre-fills a deposit and a withdrawal on a 390 px phone (linked
to the ticket), the teller calls the ticket on the console, opens the pre-fill that came
with it, the customer confirms, the 60,000 yuan withdrawal of a 78-year-old needs her ID card
read and one supervisor authorisation, which the outlet's supervisor gives on their own
screen; the customer types a wrong PIN on the (simulated) PIN pad, the withdrawal waits
(nothing posted twice, no new authorisation), she types the right one, both items post, she
signs once on a page that shows each amount and its result, and the e-voucher PDF is
archived and printed. Screenshots: test-artifacts/screenshots/visit-*.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from manyi.counter.adapters import registry
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from tests.e2e.conftest import device_secret, draw_signature, sign_in

pytestmark = pytest.mark.e2e
OUTLET = "SH-PD-LJZ"  # 陆家嘴 of this module's own demo bank
CUSTOMER = "li_xiuying"  # 李秀英, born 1948: her own card's account in the simulated core


@pytest.fixture(scope="module")
def kiosk_token(e2e_database_url: str) -> str:
    return device_secret(e2e_database_url, OUTLET, "kiosk", "e2e visit")


def save(page: Page, screenshots: Path, name: str, full: bool = True) -> None:
    page.screenshot(path=str(screenshots / f"visit-{name}.png"), full_page=full)


def press(page: Page, key: str) -> None:
    """A function key once the page's script listens (it runs before DOMContentLoaded)."""
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press(key)


def test_a_visit_with_one_form_one_pin_one_authorisation_one_signature(
    screen: Callable[..., BrowserContext], kiosk_token: str, base_url: str, screenshots: Path
) -> None:
    card = registry.current().demo_accounts[CUSTOMER][1]  # the live server shares the runtime
    name, id_number, _balance, pin, _options = DEMO_CUSTOMERS[CUSTOMER]
    with httpx.Client(base_url=base_url) as http:
        ticket = http.post(
            "/device/api/v1/lobby/tickets",
            json={"service": "V"},
            headers={"Authorization": f"Bearer {kiosk_token}"},
        ).json()

    # The customer pre-fills on the phone, from the ticket.
    phone = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/prefill/{OUTLET}?ticket={ticket['token']}")
    for code in ("deposit", "withdraw"):
        phone.locator(f"label[for=t-{code}]").click()
    phone.get_by_role("button", name="下一步：填写信息").click()
    phone.locator("#f-customer_name").fill(name)
    phone.locator("#f-id_number").fill(id_number)
    phone.locator("#f-account_number").fill(card)
    phone.locator("#f-item1-amount").fill("1000")
    phone.locator("#f-item2-amount").fill("60000")
    save(phone, screenshots, "phone-form")
    phone.get_by_role("button", name="提交，获取预填码").click()
    expect(phone.get_by_text("请在柜台出示此码")).to_be_visible()

    # The teller calls the ticket at counter 6 and opens the pre-fill that came with it.
    teller = screen(1440, 900).new_page()
    sign_in(teller, "ljz.teller2")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("6")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("6号窗口")
    number = teller.locator("[data-number]")
    for _attempt in range(5):  # tickets other tests left waiting come first: serve them
        teller.keyboard.press("F1")
        expect(number).not_to_have_text("—")
        if number.inner_text().strip() == ticket["number"]:
            break
        teller.keyboard.press("F3")
        expect(teller.locator("[data-counter-state], [data-meta]").first).to_be_visible()
        teller.keyboard.press("F4")
        expect(number).to_have_text("—")
    expect(number).to_have_text(ticket["number"])
    teller.get_by_role("navigation").get_by_role("link", name="柜面业务").click()
    called = teller.get_by_test_id("called")
    expect(called).to_contain_text(ticket["number"])
    # The page's keys are bound by its module script, run before "load": a key pressed as soon
    # as the text shows could go nowhere on a slow machine (seen once in CI, at 880 s a run).
    teller.wait_for_load_state("load")
    save(teller, screenshots, "teller-home")
    teller.keyboard.press("F1")
    bundle = teller.get_by_test_id("bundle")
    expect(bundle).to_have_attribute("data-state", "draft")
    expect(teller.get_by_test_id("items").locator("li")).to_have_count(2)
    expect(teller.get_by_test_id("values")).to_contain_text(name)
    save(teller, screenshots, "teller-draft")

    # The customer checks the form on their screen and confirms; the withdrawal needs a
    # supervisor.
    teller.keyboard.press("F1")
    review = teller.get_by_test_id("customer-review")
    expect(review).to_contain_text("60,000.00")
    save(teller, screenshots, "customer-review")
    review.get_by_role("button", name="确认无误").click()
    expect(teller.get_by_test_id("flash")).to_have_text("客户已确认表单。")

    # 60,000 in cash, and she is 78: her ID card first, before anyone authorises.
    next_step = teller.get_by_test_id("next")
    expect(next_step).to_have_attribute("data-next", "identity")
    expect(next_step.get_by_test_id("identity-reasons")).to_contain_text("金额 ≥ 50000")
    expect(next_step.get_by_test_id("identity-reasons")).to_contain_text("老年客户")
    save(teller, screenshots, "teller-identity")
    press(teller, "F2")  # the simulated reader: her own card
    expect(bundle).to_have_attribute("data-state", "identity_checked")
    expect(teller.get_by_test_id("next")).to_have_attribute("data-next", "authorisation")
    press(teller, "F3")
    expect(bundle).to_have_attribute("data-state", "awaiting_authorisation")
    save(teller, screenshots, "teller-waiting")
    reference = bundle.get_attribute("data-reference") or ""

    supervisor = screen(1440, 900).new_page()
    sign_in(supervisor, "ljz.supervisor")
    supervisor.goto("/counter/authorisations")
    request = supervisor.locator(f"article[data-reference='{reference}']")
    expect(request).to_be_visible()
    expect(request.get_by_test_id("lines")).to_contain_text("60,000")
    save(supervisor, screenshots, "supervisor")
    request.get_by_test_id("approve").click()
    expect(supervisor.get_by_test_id("flash")).to_contain_text(reference)

    # The teller's screen notices the decision by itself; one PIN for both items. She
    # first types a wrong one: the deposit posts, the withdrawal waits for the PIN again.
    expect(bundle).to_have_attribute("data-state", "authorised", timeout=15_000)
    press(teller, "F4")
    pad = teller.locator("dialog[data-pinpad]")
    expect(pad).to_be_visible()
    for digit in "111111":
        pad.locator(f"[data-digit='{digit}']").click()
    pad.locator("[data-pin-ok]").click()
    expect(bundle).to_have_attribute("data-state", "pin_retry")
    expect(teller.get_by_test_id("flash")).to_have_text("密码错误，请客户重新输入。")
    expect(teller.get_by_test_id("next")).to_have_attribute("data-next", "retry_pin")
    expect(teller.get_by_test_id("next")).to_contain_text("还可输入 2 次")
    items = teller.get_by_test_id("items").locator("li")
    expect(items.nth(0)).to_have_attribute("data-status", "posted")
    expect(items.nth(1)).to_have_attribute("data-status", "pin_wrong")
    save(teller, screenshots, "teller-wrong-pin")
    press(teller, "F4")  # the same authorisation: the pad asks again
    expect(pad).to_be_visible()
    expect(pad.get_by_test_id("pin-again")).to_be_visible()
    for digit in pin[:3]:
        pad.locator(f"[data-digit='{digit}']").click()
    save(teller, screenshots, "pinpad", full=False)
    for digit in pin[3:]:
        pad.locator(f"[data-digit='{digit}']").click()
    pad.locator("[data-pin-ok]").click()
    expect(bundle).to_have_attribute("data-state", "done")
    expect(items.nth(0)).to_have_attribute("data-status", "posted")
    expect(items.nth(1)).to_have_attribute("data-status", "posted")
    assert pin not in teller.content()
    save(teller, screenshots, "teller-done")

    # One signature, on the customer-facing pad.
    teller.keyboard.press("F5")
    lines = teller.get_by_test_id("sig-lines").locator("li")
    expect(lines.nth(0).get_by_test_id("sig-amount")).to_have_text("人民币 1,000.00")
    expect(lines.nth(1).get_by_test_id("sig-amount")).to_have_text("人民币 60,000.00")
    expect(lines.nth(1).get_by_test_id("sig-result")).to_have_text("完成")
    draw_signature(teller, 80, 150, 40)
    save(teller, screenshots, "signature")
    teller.get_by_role("button", name="确认签名").click()
    expect(bundle).to_have_attribute("data-state", "signed")

    # The e-voucher for the whole visit.
    press(teller, "F6")  # once the bundle page (after signing) listens
    expect(bundle).to_have_attribute("data-state", "archived")
    save(teller, screenshots, "teller-archived")
    link = teller.get_by_test_id("voucher-link")
    pdf = teller.request.get(link.get_attribute("href") or "")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body())).pages)
    assert reference in text and re.search(r"60,000\.00", text)
    (screenshots / "visit-voucher.pdf").write_bytes(pdf.body())

    # The teller finishes the ticket and signs off, leaving the lobby as it was.
    teller.goto("/lobby/console")
    expect(teller.locator("[data-number]")).to_have_text(ticket["number"])
    teller.keyboard.press("F3")
    teller.keyboard.press("F4")
    expect(teller.locator("[data-number]")).to_have_text("—")
    teller.keyboard.press("F9")
    expect(teller.locator("[data-signon]")).to_be_visible()
