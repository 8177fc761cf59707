"""End-to-end: the elderly-friendly mode (长辈模式) on the customer's pages.

In real Chromium, each page (kiosk, ticket status, pre-fill, appointments, survey) is checked in
the normal and the elderly mode with axe-core (from the npm registry, pinned in package.json;
injected by the test, not served by manyi): no violation of impact "serious" or "critical", and
in the elderly mode none of WCAG AAA's 7:1 text contrast either. In the elderly mode every text
is at least 24 px and every button, link and field at least 56 × 56 px; the mode is remembered
after a reload (rendered by the server, no flash); the kiosk offers it first and turns it off
for the next customer. Screenshots: test-artifacts/screenshots/elderly-*.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ROOT, pair, sign_in
from tests.e2e.test_quality_surveys import invitation
from tests.elderly_helpers import OUTLET, kiosk_token_fixture, shot, take_ticket  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
PHONE = {"is_mobile": True, "has_touch": True}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Every visible text at least 24 px; every visible target at least 56 × 56 px. A check box or
# radio button is measured by its label, which is what a finger touches.
MEASURE_JS = """() => {
  const shown = n => {
    const s = getComputedStyle(n), r = n.getBoundingClientRect();
    return n.getClientRects().length > 0 && s.visibility !== 'hidden'
      && parseFloat(s.opacity) > 0 && r.width > 2 && r.height > 2;
  };
  const name = n => n.tagName + ' ' + (n.className || '') + ': '
    + (n.textContent || n.value || '').trim().slice(0, 24);
  const boxOf = n => {
    if (n.type === 'checkbox' || n.type === 'radio') {
      return n.closest('label') || document.querySelector(`label[for="${n.id}"]`) || n;
    }
    return n;
  };
  const targets = [...document.querySelectorAll(
    'button, a[href], input:not([type=hidden]), select, textarea')].map(boxOf).filter(shown);
  const small = [...new Set(targets)].filter(n => {
    const r = n.getBoundingClientRect();
    return r.width < 55.5 || r.height < 55.5;
  }).map(n => name(n) + ' ' + Math.round(n.getBoundingClientRect().width) + 'x'
    + Math.round(n.getBoundingClientRect().height));
  const tiny = [...document.querySelectorAll('body *')].filter(shown)
    .filter(n => [...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim()))
    .filter(n => parseFloat(getComputedStyle(n).fontSize) < 24).map(name);
  return {body: parseFloat(getComputedStyle(document.body).fontSize), small, tiny};
}"""


def axe(page: Page, enhanced: bool = False) -> list[dict[str, Any]]:
    """axe-core's violations on the page: serious or critical ones, and with `enhanced` also
    every failure of AAA contrast (7:1)."""
    page.wait_for_load_state("load")
    assert AXE.is_file(), f"{AXE} is missing: run `make assets` (npm ci installs axe-core)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Over the DevTools protocol, so the page's CSP (no inline script) does not apply.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result: list[dict[str, Any]] = page.evaluate(
        """async (enhanced) => {
          const options = {resultTypes: ['violations'],
                           rules: {'color-contrast-enhanced': {enabled: enhanced}}};
          const found = await axe.run(document, options);
          return found.violations
            .filter(v => ['serious', 'critical'].includes(v.impact)
                         || v.id === 'color-contrast-enhanced')
            .map(v => ({id: v.id, impact: v.impact,
                        nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary)}));
        }""",
        enhanced,
    )
    return result


def check_normal(page: Page) -> None:
    found = axe(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
    assert page.evaluate("document.documentElement.classList.contains('elderly')") is False


def check_elderly(page: Page) -> None:
    assert page.evaluate("document.documentElement.classList.contains('elderly')") is True
    found = axe(page, enhanced=True)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
    report = page.evaluate(MEASURE_JS)
    assert report["body"] >= 24, report
    assert report["small"] == [], report["small"]
    assert report["tiny"] == [], report["tiny"]


def switch_on(page: Page) -> None:
    page.get_by_test_id("elderly-switch").first.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))


def remembered(page: Page) -> None:
    """After a reload the mode is still on, and it was in the server's HTML (no flash)."""
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    html = page.context.request.get(page.url).text()
    assert re.search(r'<html lang="[\w-]+" class="elderly">', html), html[:200]


def test_the_kiosk_offers_the_mode_first_and_resets_it_for_the_next_customer(
    screen: Callable[..., BrowserContext], kiosk_token: str, screenshots: Path
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, kiosk_token)
    expect(kiosk.locator("[data-services] [data-service]").first).to_be_visible()
    check_normal(kiosk)
    shot(kiosk, screenshots, "kiosk-normal")
    # Offered first: the start screen's first control, above the services.
    first = kiosk.locator("[data-screen=home]").locator("button, a[href]").first
    expect(first).to_have_attribute("data-testid", "elderly-switch")
    expect(first).to_contain_text("长辈模式")

    first.click()
    expect(kiosk.locator("html")).to_have_class(re.compile(r"\belderly\b"))
    expect(first).to_have_attribute("aria-pressed", "true")
    # Plain words: a one-line hint on each service, a short subtitle.
    expect(kiosk.locator("[data-service] .hint").first).to_have_text("点这里取号")
    expect(kiosk.locator("[data-screen=home] .sub")).to_have_text("点一下您要办的业务")
    check_elderly(kiosk)
    shot(kiosk, screenshots, "kiosk")
    remembered(kiosk)
    expect(kiosk.locator("[data-services] [data-service]").first).to_be_visible()

    # The green channel's explanation in plain words.
    kiosk.locator("[data-green]").click()
    kiosk.locator("[data-green-services] [data-service]").first.click()
    expect(kiosk.locator("[data-screen=confirm] .panel p").first).to_have_text(
        "60岁以上、残疾人、孕妇优先办理，工作人员可能会核对。"
    )
    check_elderly(kiosk)
    shot(kiosk, screenshots, "kiosk-green")
    kiosk.locator("[data-screen=confirm] [data-home]").click()  # back: the mode stays
    expect(kiosk.locator("html")).to_have_class(re.compile(r"\belderly\b"))

    # A ticket taken, "Done": the next customer starts in the normal mode.
    kiosk.locator("[data-screen=home] [data-service]").first.click()
    expect(kiosk.get_by_test_id("issued").locator("[data-number]")).to_have_text(
        re.compile(r"^\w\d{3}$")
    )
    check_elderly(kiosk)
    shot(kiosk, screenshots, "kiosk-issued")
    kiosk.locator("[data-screen=result] [data-home]").click()
    expect(kiosk.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))
    assert "manyi_elderly" not in {c["name"] for c in kiosk.context.cookies() if c["value"]}
    kiosk.reload()
    expect(kiosk.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))

    # Nobody touches the kiosk for 30 s: it turns the mode off as well.
    switch_on(kiosk)
    kiosk.locator("[data-green]").click()
    kiosk.clock.run_for(31_000)
    expect(kiosk.locator("[data-screen=home]")).to_be_visible()
    expect(kiosk.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))


def test_the_status_page_says_the_wait_plainly(
    screen: Callable[..., BrowserContext], base_url: str, kiosk_token: str, screenshots: Path
) -> None:
    # Counter 3 opens (个人现金 A), so the wait has a number of people and minutes.
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("3")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("3号窗口")
    take_ticket(base_url, kiosk_token, "A")
    ticket = take_ticket(base_url, kiosk_token, "A")
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/t/{ticket['token']}")
    expect(phone.locator("[data-number]")).to_have_text(ticket["number"])
    expect(phone.locator("[data-plain]")).to_be_hidden()
    check_normal(phone)
    shot(phone, screenshots, "status-normal")

    switch_on(phone)
    plain = phone.locator("[data-plain]")
    expect(plain).to_be_visible()
    ahead = ticket["people_ahead"]
    assert ahead >= 1
    expect(plain).to_have_text(re.compile(rf"^还有 {ahead} 人，(约 .+分钟|.+分钟内|不到 1 分钟)$"))
    expect(phone.locator(".hint")).to_have_text("页面会自动更新。")
    expect(phone.locator("[data-position]")).to_be_hidden()  # the sentence says it
    check_elderly(phone)
    shot(phone, screenshots, "status")
    remembered(phone)
    expect(phone.locator("[data-plain]")).to_have_text(plain.inner_text())
    # In English too: the switch and the plain sentence.
    phone.goto(f"/lang/en?next=/t/{ticket['token']}")
    expect(phone.get_by_test_id("elderly-switch")).to_contain_text("Larger text")
    expect(phone.locator("[data-plain]")).to_have_text(
        re.compile(rf"^{ahead} people ahead of you, (about .+ min|within .+ min)$")
    )
    check_elderly(phone)
    phone.goto(f"/lang/zh-CN?next=/t/{ticket['token']}")

    # Off as easily: one press, and the page is as before.
    phone.get_by_test_id("elderly-switch").click()
    expect(phone.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))
    expect(phone.locator("[data-plain]")).to_be_hidden()
    phone.reload()
    expect(phone.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))


def test_the_prefill_pages_in_the_elderly_mode(
    screen: Callable[..., BrowserContext], kiosk_token: str, screenshots: Path
) -> None:
    # (kiosk_token: device_secret seeds the form catalogue the pre-fill needs.)
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/prefill/{OUTLET}")
    expect(phone.get_by_role("heading", name="今天您要办理哪些业务？")).to_be_visible()
    check_normal(phone)
    switch_on(phone)
    expect(phone.locator(".lead")).to_have_text("勾选要办的业务，再点“下一步”。")
    check_elderly(phone)
    shot(phone, screenshots, "prefill-pick")
    phone.locator("label[for=t-open_account]").click()
    phone.get_by_role("button", name="下一步：填写信息").click()
    expect(phone.get_by_role("heading", name="填写一张表")).to_be_visible()
    phone.locator("#f-customer_name").fill("王淑芬")
    check_elderly(phone)
    shot(phone, screenshots, "prefill-form")
    # Switching off keeps what was typed (no reload).
    phone.get_by_test_id("elderly-switch").click()
    expect(phone.locator("#f-customer_name")).to_have_value("王淑芬")
    check_normal(phone)
    switch_on(phone)
    phone.locator("#f-id_number").fill("11010519491231002X")
    phone.locator("#f-mobile").fill("13812345678")
    phone.locator("#f-id_valid_until").fill("2040-06-30")
    phone.locator("#f-address").fill("北京市海淀区中关村大街27号")
    phone.locator("#f-occupation").select_option("retired")
    phone.locator("#f-item1-account_type").select_option("class_i")
    phone.get_by_role("button", name="提交，获取预填码").click()
    expect(phone).to_have_url(re.compile(rf"/prefill/{OUTLET}/done$"))
    expect(phone.get_by_text("请在柜台出示此码")).to_be_visible()
    check_elderly(phone)
    shot(phone, screenshots, "prefill-done")


def test_the_appointment_pages_in_the_elderly_mode(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/appointments/{OUTLET}")
    expect(phone.get_by_role("heading", name="您要办理什么业务？")).to_be_visible()
    check_normal(phone)
    switch_on(phone)
    check_elderly(phone)
    shot(phone, screenshots, "appointment-services")
    phone.locator("[data-service=A]").click()
    expect(phone.get_by_role("heading", name="选择时间")).to_be_visible()
    check_elderly(phone)
    shot(phone, screenshots, "appointment-slots")
    remembered(phone)


def test_the_kiosk_prefill_in_the_elderly_mode_and_its_reset(
    screen: Callable[..., BrowserContext], kiosk_token: str, screenshots: Path
) -> None:
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, kiosk_token)
    kiosk.get_by_test_id("kiosk-prefill").click()
    expect(kiosk.get_by_test_id("kiosk-home")).to_be_visible()
    check_normal(kiosk)
    switch_on(kiosk)
    check_elderly(kiosk)
    shot(kiosk, screenshots, "kiosk-prefill")
    # The same customer goes back to the start: the mode stays.
    kiosk.get_by_test_id("kiosk-home").click()
    expect(
        kiosk.get_by_test_id("elderly-offer").get_by_test_id("elderly-switch")
    ).to_have_attribute("aria-pressed", "true")
    # A minute without a touch in the pre-fill: the next customer starts in the normal mode.
    kiosk.get_by_test_id("kiosk-prefill").click()
    expect(kiosk.get_by_test_id("kiosk-home")).to_be_visible()
    kiosk.wait_for_load_state("load")  # its script counts the minute
    kiosk.clock.run_for(50_000)
    expect(kiosk.locator("[data-idle]")).to_be_visible()
    kiosk.clock.run_for(11_000)
    expect(kiosk.get_by_test_id("kiosk")).to_be_visible()
    expect(kiosk.locator("html")).not_to_have_class(re.compile(r"\belderly\b"))


def test_the_survey_in_the_elderly_mode(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    token = invitation(e2e_database_url, "e2e:elderly")
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/s/{token}")
    expect(phone.get_by_role("heading", name="请评价本次服务")).to_be_visible()
    check_normal(phone)
    shot(phone, screenshots, "survey-normal")
    switch_on(phone)
    check_elderly(phone)
    shot(phone, screenshots, "survey")
    remembered(phone)
