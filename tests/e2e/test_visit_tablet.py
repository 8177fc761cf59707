"""End-to-end, in real Chromium: a hospital visit (特事特办) from the relative's call to the
signed e-voucher, the on-site steps on a 768 px tablet.

The lobby manager of 陆家嘴 takes the son's call for 李秀英 (78, in hospital, 60,000 yuan for
medical bills); the outlet head approves, and the Shanghai branch too (above 50,000), assigns
two tellers and agrees the date, which goes to the son by text message. On site, a teller's
tablet records the arrival and a photo, offers only the transactions the catalogue allows away
from the counter, opens the withdrawal, and the counter's own pages do the rest: the customer
confirms, her ID card is read, the outlet's supervisor authorises from the office, she types
her PIN once and signs once; the e-voucher is archived and the visit closed.
Screenshots: test-artifacts/screenshots/visit-tablet-*.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.counter import catalogue_store
from manyi.counter.adapters import registry
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from manyi.db import Database
from tests.counter_helpers import png
from tests.e2e.conftest import E2E_NOW, draw_signature, sign_in

pytestmark = pytest.mark.e2e
CUSTOMER = "li_xiuying"  # 李秀英, born 1948
TABLET = (768, 1024)


@pytest.fixture(scope="module", autouse=True)
def catalogue(e2e_database_url: str) -> Iterator[None]:
    database = Database(e2e_database_url)
    with database.session() as session:
        catalogue_store.seed_catalogue(session)
    database.dispose()
    yield


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"visit-tablet-{name}.png"), full_page=True)


def press(page: Page, key: str) -> None:
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press(key)


def test_a_hospital_visit_from_the_call_to_the_signed_e_voucher_on_a_tablet(
    screen: Callable[..., BrowserContext], screenshots: Path, tmp_path: Path
) -> None:
    card = registry.current().demo_accounts[CUSTOMER][1]
    name, id_number, _balance, pin, _options = DEMO_CUSTOMERS[CUSTOMER]

    # The son calls; the lobby manager takes the request. A wrong ID number is refused first.
    desk = screen(1280, 900).new_page()
    sign_in(desk, "ljz.lobby")
    desk.goto("/visits/new")
    desk.locator("#customer_name").fill(name)
    desk.locator("#id_number").fill(id_number[:-1] + ("0" if id_number[-1] != "0" else "1"))
    desk.locator("#relative_name").fill("李建国")
    desk.locator("#relation").fill("儿子")
    desk.locator("#phone").fill("13800138031")
    desk.locator("#place_kind").select_option("hospital")
    desk.locator("#place_text").fill("仁济医院东院 住院部 8 楼 21 床")
    desk.locator("#need").select_option("withdraw_medical")
    desk.locator("#amount").fill("60000")
    desk.locator("#reason").select_option("in_hospital")
    desk.locator("#evidence").fill("住院证明、缴费通知单")
    desk.get_by_test_id("submit-request").click()
    expect(desk.get_by_test_id("error")).to_have_text("身份证号码不是有效的居民身份证号码")
    expect(desk.locator(".has-error #id_number")).to_be_visible()
    save(desk, screenshots, "request-refused")
    desk.locator("#id_number").fill(id_number)
    desk.get_by_test_id("submit-request").click()
    expect(desk.get_by_test_id("state")).to_have_text("待审批")
    reference = desk.url.rstrip("/").split("/")[-1]
    assert reference.startswith("VS")
    save(desk, screenshots, "requested")

    # The outlet head approves; above 50,000 the Shanghai branch approves too.
    head = screen(1280, 900).new_page()
    sign_in(head, "ljz.head")
    head.goto(f"/visits/{reference}")
    head.get_by_test_id("approve").click()
    expect(head.get_by_test_id("state")).to_have_text("待审批")
    branch = screen(1280, 900).new_page()
    sign_in(branch, "sh.head")
    branch.goto(f"/visits/{reference}")
    branch.get_by_test_id("approve").click()
    expect(branch.get_by_test_id("state")).to_have_text("已审批")

    # Two staff, never one; then the date agreed with the family.
    head.reload()
    head.get_by_test_id("staff-1").select_option(label="徐婷")
    head.get_by_test_id("assign").click()
    expect(head.get_by_test_id("error")).to_have_text("上门服务须两人同行，不得一人前往")
    head.get_by_test_id("staff-1").select_option(label="徐婷")
    head.get_by_test_id("staff-2").select_option(label="孙浩")
    head.get_by_test_id("assign").click()
    expect(head.get_by_test_id("staff")).to_have_text("徐婷、孙浩")
    tomorrow = (E2E_NOW + dt.timedelta(hours=32)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    head.get_by_test_id("visit-at-input").fill(f"{tomorrow:%Y-%m-%d}T10:00")
    head.get_by_test_id("schedule").click()
    expect(head.get_by_test_id("state")).to_have_text("已约定")
    save(head, screenshots, "scheduled")
    head.goto("/reach/messages?kind=visit_scheduled")
    expect(head.get_by_test_id("messages")).to_contain_text("陆家嘴营业室")
    save(head, screenshots, "family-message")

    # On site: the teller's tablet, 768 px wide.
    tablet = screen(*TABLET, has_touch=True).new_page()
    sign_in(tablet, "ljz.teller2")
    tablet.goto(f"/visits/{reference}/tablet")
    tablet.get_by_test_id("arrive").click()
    expect(tablet.get_by_test_id("step-arrive")).to_contain_text("仁济医院东院")
    photo = tmp_path / "ward.png"
    photo.write_bytes(png(320, 200))
    tablet.get_by_test_id("photo-input").set_input_files(str(photo))
    tablet.get_by_test_id("upload").click()
    expect(tablet.get_by_test_id("step-photos").locator("img")).to_have_count(1)
    choices = tablet.get_by_test_id("choices")
    expect(choices).not_to_contain_text("开立个人银行账户")  # kept at the counter
    expect(choices.locator("input[value=withdraw]")).to_be_checked()
    tablet.locator("[name='f.account_number']").fill(card)
    tablet.locator("[name='f.item1.purpose']").fill("医疗费用")
    expect(tablet.locator("[name='f.item1.amount']")).to_have_value("60000.00")
    save(tablet, screenshots, "onsite")
    assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET[0]
    tablet.get_by_test_id("open-bundle").click()

    # The counter's own pages, on the tablet: confirm, ID card, one authorisation, PIN, sign.
    bundle = tablet.get_by_test_id("bundle")
    expect(bundle).to_have_attribute("data-state", "draft")
    press(tablet, "F1")
    review = tablet.get_by_test_id("customer-review")
    expect(review).to_contain_text("60,000.00")
    review.get_by_role("button", name="确认无误").click()
    expect(tablet.get_by_test_id("next")).to_have_attribute("data-next", "identity")
    press(tablet, "F2")  # the simulated reader: her own card
    expect(bundle).to_have_attribute("data-state", "identity_checked")
    press(tablet, "F3")
    expect(bundle).to_have_attribute("data-state", "awaiting_authorisation")
    save(tablet, screenshots, "awaiting-authorisation")
    bundle_reference = bundle.get_attribute("data-reference") or ""

    office = screen(1280, 900).new_page()
    sign_in(office, "ljz.supervisor")
    office.goto("/counter/authorisations")
    office.locator(f"article[data-reference='{bundle_reference}']").get_by_test_id(
        "approve"
    ).click()
    expect(office.get_by_test_id("flash")).to_contain_text(bundle_reference)

    expect(bundle).to_have_attribute("data-state", "authorised", timeout=15_000)
    press(tablet, "F4")
    pad = tablet.locator("dialog[data-pinpad]")
    expect(pad).to_be_visible()
    for digit in pin:
        pad.locator(f"[data-digit='{digit}']").click()
    pad.locator("[data-pin-ok]").click()
    expect(bundle).to_have_attribute("data-state", "done")
    press(tablet, "F5")
    draw_signature(tablet, 60, 120, 30)
    save(tablet, screenshots, "signature")
    tablet.get_by_role("button", name="确认签名").click()
    expect(bundle).to_have_attribute("data-state", "signed")
    press(tablet, "F6")
    expect(bundle).to_have_attribute("data-state", "archived")
    save(tablet, screenshots, "e-voucher")

    # Back to the visit: signed, closed.
    tablet.goto(f"/visits/{reference}/tablet")
    expect(tablet.get_by_test_id("signed")).to_be_visible()
    tablet.get_by_test_id("close").click()
    expect(tablet.get_by_test_id("state")).to_have_text("已结束")
    save(tablet, screenshots, "closed")

    desk.goto("/visits")
    row = desk.get_by_test_id("visits").locator("tr", has_text=reference)
    expect(row).to_have_attribute("data-state", "closed")
    save(desk, screenshots, "list")


def test_a_home_visit_resets_a_forgotten_pin_on_the_tablet(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    """The issue's "change a password": 刘洋 is bedridden and forgot his card's PIN. No amount,
    so the outlet head's approval is enough; on site the tablet offers the reset (and the card
    activation), his ID card is read, the supervisor authorises from the office and he types
    the new PIN on the pad."""
    customer = "liu_yang"
    card = registry.current().demo_accounts[customer][1]
    name, id_number, _balance, _pin, _options = DEMO_CUSTOMERS[customer]
    desk = screen(1280, 900).new_page()
    sign_in(desk, "ljz.lobby")
    desk.goto("/visits/new")
    desk.locator("#customer_name").fill(name)
    desk.locator("#id_number").fill(id_number)
    desk.locator("#relative_name").fill("刘芳")
    desk.locator("#relation").fill("姐姐")
    desk.locator("#phone").fill("13800138032")
    desk.locator("#place_kind").select_option("home")
    desk.locator("#place_text").fill("浦东新区崂山路 100 弄 3 号 502 室")
    desk.locator("#need").select_option("password_reset")
    desk.locator("#reason").select_option("bedridden")
    desk.locator("#evidence").fill("出院小结")
    desk.get_by_test_id("submit-request").click()
    expect(desk.get_by_test_id("state")).to_have_text("待审批")
    reference = desk.url.rstrip("/").split("/")[-1]

    head = screen(1280, 900).new_page()
    sign_in(head, "ljz.head")
    head.goto(f"/visits/{reference}")
    head.get_by_test_id("approve").click()
    expect(head.get_by_test_id("state")).to_have_text("已审批")  # no amount: no branch step
    head.get_by_test_id("staff-1").select_option(label="徐婷")
    head.get_by_test_id("staff-2").select_option(label="孙浩")
    head.get_by_test_id("assign").click()
    tomorrow = (E2E_NOW + dt.timedelta(hours=32)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    head.get_by_test_id("visit-at-input").fill(f"{tomorrow:%Y-%m-%d}T14:00")
    head.get_by_test_id("schedule").click()
    expect(head.get_by_test_id("state")).to_have_text("已约定")

    tablet = screen(*TABLET, has_touch=True).new_page()
    sign_in(tablet, "ljz.teller2")
    tablet.goto(f"/visits/{reference}/tablet")
    tablet.get_by_test_id("arrive").click()
    expect(tablet.get_by_test_id("step-arrive")).to_contain_text("崂山路")
    choices = tablet.get_by_test_id("choices")
    expect(choices).to_contain_text("激活银行卡")
    expect(choices.locator("input[value=password_reset]")).to_be_checked()
    tablet.locator("[name='f.card_number']").fill(card)
    tablet.locator("[name='f.item1.reset_reason']").select_option("forgotten")
    save(tablet, screenshots, "pin-reset-onsite")
    tablet.get_by_test_id("open-bundle").click()

    bundle = tablet.get_by_test_id("bundle")
    expect(bundle).to_have_attribute("data-state", "draft")
    press(tablet, "F1")
    review = tablet.get_by_test_id("customer-review")
    expect(review).to_contain_text("重置银行卡密码")
    review.get_by_role("button", name="确认无误").click()
    press(tablet, "F2")  # the simulated reader: his own card
    expect(bundle).to_have_attribute("data-state", "identity_checked")
    press(tablet, "F3")  # a reset is always authorised
    expect(bundle).to_have_attribute("data-state", "awaiting_authorisation")
    bundle_reference = bundle.get_attribute("data-reference") or ""
    office = screen(1280, 900).new_page()
    sign_in(office, "ljz.supervisor")
    office.goto("/counter/authorisations")
    office.locator(f"article[data-reference='{bundle_reference}']").get_by_test_id(
        "approve"
    ).click()
    expect(bundle).to_have_attribute("data-state", "authorised", timeout=15_000)
    press(tablet, "F4")
    pad = tablet.locator("dialog[data-pinpad]")
    expect(pad).to_be_visible()
    for digit in "864200":  # the new PIN he chooses
        pad.locator(f"[data-digit='{digit}']").click()
    pad.locator("[data-pin-ok]").click()
    expect(bundle).to_have_attribute("data-state", "done")
    press(tablet, "F5")
    draw_signature(tablet, 60, 120, 30)
    tablet.get_by_role("button", name="确认签名").click()
    expect(bundle).to_have_attribute("data-state", "signed")
    press(tablet, "F6")
    expect(bundle).to_have_attribute("data-state", "archived")
    save(tablet, screenshots, "pin-reset-e-voucher")
    tablet.goto(f"/visits/{reference}/tablet")
    tablet.get_by_test_id("close").click()
    expect(tablet.get_by_test_id("state")).to_have_text("已结束")
