"""End-to-end, in real Chromium: what the teller and the customer read is in their language.

The teller at 陆家嘴 fills a deposit and a withdrawal for 李秀英 (born 1948: elderly), mistypes
a correction (-5: the field's label and the reason, the typed value kept), corrects it, sees
the corrections list by label and the authorisation step in Chinese; the withdrawal fails on a
wrong PIN, the customer signs, and the e-voucher says so in words; the bundle list shows how
the archived bundle's run went. A complaint handler reads an at-risk warning in Chinese.
Screenshots: test-artifacts/screenshots/words-*.png (and words-voucher.pdf).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from manyi.counter import catalogue_store
from manyi.counter.adapters import registry
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from manyi.db import Database
from manyi.notify import delivery, service
from manyi.notify.channels import InAppChannel
from manyi.org.tables import Staff
from tests.e2e.conftest import E2E_NOW, draw_signature, sign_in

pytestmark = pytest.mark.e2e
CUSTOMER = "li_xiuying"
AT_RISK = "Complaint {reference} is at risk: due {due}"  # complaints.escalation's subject


@pytest.fixture(scope="module", autouse=True)
def catalogue(e2e_database_url: str) -> None:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session)  # the demo bank's seed leaves it out
    finally:
        database.dispose()


def press(page: Page, key: str) -> None:
    """A function key once the page has loaded, its key handlers bound (module scripts run
    before the load event)."""
    page.wait_for_load_state("load")
    page.keyboard.press(key)


def save(page: Page, screenshots: Path, name: str, full: bool = True) -> None:
    page.screenshot(path=str(screenshots / f"words-{name}.png"), full_page=full)


def test_the_teller_and_the_customer_read_their_own_language(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    card = registry.current().demo_accounts[CUSTOMER][1]
    name, id_number, _balance, pin, _options = DEMO_CUSTOMERS[CUSTOMER]
    teller = screen(1440, 900).new_page()
    sign_in(teller, "ljz.teller1")
    teller.goto("/counter/fill?t=deposit&t=withdraw")
    teller.locator("#f-customer_name").fill(name)
    teller.locator("#f-id_number").fill(id_number)
    teller.locator("#f-account_number").fill(card)
    teller.locator("#f-item1-amount").fill("2000")
    teller.locator("#f-item2-amount").fill("500")
    teller.get_by_role("button", name="调取业务").click()
    bundle = teller.get_by_test_id("bundle")
    expect(bundle).to_have_attribute("data-state", "draft")

    # A correction to -5: the label and the reason, and the box keeps "-5".
    row = teller.locator("td[data-key='item1.amount']").locator("xpath=..")
    row.locator("summary").click()
    row.locator("input[name=value]").fill("-5")
    row.get_by_role("button", name="保存").click()
    error = teller.get_by_test_id("error")
    expect(error).to_have_text("金额（存款）：金额必须大于 0")
    row = teller.locator("td[data-key='item1.amount']").locator("xpath=..")
    expect(row.locator("input[name=value]")).to_have_value("-5")
    save(teller, screenshots, "correction-refused")

    row.locator("input[name=value]").fill("3000")
    row.get_by_role("button", name="保存").click()
    corrections = teller.locator("ul.corrections")
    expect(corrections).to_contain_text("金额（存款）：2,000.00 → 3,000.00")
    expect(corrections).not_to_contain_text("item1.amount")
    save(teller, screenshots, "corrections")

    # The customer confirms; the elderly customer's card is read, in Chinese words, then her
    # withdrawal needs a supervisor.
    press(teller, "F1")
    teller.get_by_test_id("customer-review").get_by_role("button", name="确认无误").click()
    expect(teller.get_by_test_id("next")).to_have_attribute("data-next", "identity")
    reasons = teller.get_by_test_id("identity-reasons")
    expect(reasons).to_contain_text("2. 取款")
    expect(reasons).to_contain_text("老年客户")
    expect(reasons).not_to_contain_text("Cash")
    save(teller, screenshots, "identity-step")
    press(teller, "F2")
    expect(teller.get_by_test_id("next")).to_have_attribute("data-next", "authorisation")
    lines = teller.locator("ul.auth-lines")
    expect(lines).to_contain_text("老年客户（65 岁及以上） → 主管授权")
    expect(lines).to_contain_text("取款")
    expect(lines).not_to_contain_text("Cash")
    expect(lines).not_to_contain_text("supervisor")
    save(teller, screenshots, "authorisation-step")
    press(teller, "F3")
    expect(bundle).to_have_attribute("data-state", "awaiting_authorisation")
    reference = bundle.get_attribute("data-reference") or ""

    supervisor = screen(1440, 900).new_page()
    sign_in(supervisor, "ljz.supervisor")
    supervisor.goto("/counter/authorisations")
    request = supervisor.locator(f"article[data-reference='{reference}']")
    expect(request.get_by_test_id("lines")).to_contain_text("老年客户")
    request.get_by_test_id("approve").click()
    expect(supervisor.get_by_test_id("flash")).to_contain_text(reference)

    # A wrong PIN: the deposit (no PIN) posts, the withdrawal waits; the customer stops there.
    expect(bundle).to_have_attribute("data-state", "authorised", timeout=15_000)
    press(teller, "F4")
    pad = teller.locator("dialog[data-pinpad]")
    wrong = "0" * len(pin) if pin != "0" * len(pin) else "1" * len(pin)
    for digit in wrong:
        pad.locator(f"[data-digit='{digit}']").click()
    pad.locator("[data-pin-ok]").click()
    expect(bundle).to_have_attribute("data-state", "pin_retry")
    teller.get_by_test_id("stop-pin").click()
    expect(bundle).to_have_attribute("data-state", "partial")
    press(teller, "F5")
    draw_signature(teller, 80, 150, 30)
    teller.get_by_role("button", name="确认签名").click()
    expect(bundle).to_have_attribute("data-state", "signed")
    teller.locator("button[data-key='F6']").click()  # the button: no wait for key handlers
    expect(bundle).to_have_attribute("data-state", "archived")

    link = teller.get_by_test_id("voucher-link")
    pdf = teller.request.get(link.get_attribute("href") or "").body()
    (screenshots / "words-voucher.pdf").write_bytes(pdf)
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for words in (
        "电子回单",
        "存款",
        "取款",
        "密码错误",
        "未成功",
        "交易后余额：",
        "主管授权，已同意",
    ):
        assert words in text, words
    for internal in ("balance_after", "pin_invalid", "(v1)", "·", "supervisor", "Cash"):
        assert internal not in text, internal

    # The bundle list: 业务编号, and the archived bundle's run went only partly.
    teller.goto("/counter")
    mine = teller.get_by_test_id("mine")
    expect(mine.locator("th").first).to_have_text("业务编号")
    outcome = mine.locator("tr", has_text=reference).locator("[data-outcome]")
    expect(outcome).to_have_text("部分办理成功")
    save(teller, screenshots, "bundle-list")


@pytest.fixture
def warned(e2e_database_url: str) -> None:
    """An at-risk warning for the complaint handler, as escalation.warn writes it."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            handler = session.scalar(select(Staff).where(Staff.username == "ljz.teller1"))
            assert handler is not None
            service.enqueue(
                session,
                channel="in_app",
                recipient_staff_id=handler.id,
                subject=AT_RISK,
                body="网点排队时间过长",
                now=E2E_NOW,
                unit_id=handler.unit_id,
                data={
                    "subject_params": {"reference": "TS20250601000001", "due": "2026-12-04 17:00"},
                    "url": "/complaints/1",
                },
            )
        delivery.deliver_due(database, {"in_app": InAppChannel()}, E2E_NOW)
    finally:
        database.dispose()


@pytest.mark.usefixtures("warned")
def test_a_complaint_warning_reads_in_chinese(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1280, 800).new_page()
    sign_in(page, "ljz.teller1")
    page.goto("/notifications")
    warning = page.get_by_test_id("message").filter(has_text="TS20250601000001")
    expect(warning).to_contain_text("投诉 TS20250601000001 即将到期，请于 2026-12-04 17:00 前办结")
    expect(warning).not_to_contain_text("is at risk")
    save(page, screenshots, "notification")
