"""End-to-end: the README's "Try ..." walkthroughs, done as written, in real Chromium.

Each test follows one paragraph of README.md step by step on the demo bank that `make run`
seeds: the same accounts, the same printed device tokens (read from the README itself, so the
test fails when the text and the demo part ways), the same menu names. If a walkthrough changes,
change its test with it. Screenshots: readme-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from typer.testing import CliRunner

from manyi.cli import app
from manyi.config import get_settings
from tests.e2e.conftest import ROOT, draw_signature, pair, sign_in

pytestmark = pytest.mark.e2e
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def e2e_database_url(
    e2e_clock: dt.datetime,
    _fast_password_hashing: None,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The demo bank exactly as `make run` seeds it: `manyi demo seed` (units, staff, lobbies,
    devices, the demo complaints and the counter's catalogue and customers)."""
    target = tmp_path_factory.mktemp("readme") / "manyi.sqlite3"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    get_settings.cache_clear()  # the settings of this module's database, not a cached earlier one
    done = CliRunner().invoke(app, ["demo", "seed"], env={"MANYI_DATABASE_URL": url})
    get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    SEED_OUTPUT.append(done.output)
    return url


SEED_OUTPUT: list[str] = []  # what `manyi demo seed` printed, as `make run` shows it


def demo_customer(name: str) -> dict[str, str]:
    """A demo customer from the list `make run` prints: her ID number, card and PIN."""
    found = re.search(
        rf"^\s*{name}\s+ID (?P<id>\w+)\s+card (?P<card>\d+)\s+PIN (?P<pin>\d+)",
        SEED_OUTPUT[-1],
        re.M,
    )
    assert found, f"`manyi demo seed` lists no customer {name}"
    return found.groupdict()


def paragraph(title: str) -> str:
    """The README's paragraph that starts with **title**."""
    found = re.search(r"\*\*" + re.escape(title) + r"\*\*(.+?)(?:\n\n|\Z)", README, re.S)
    assert found, f"README.md has no paragraph **{title}**"
    return found.group(1)


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"readme-{name}.png"), full_page=True)


def test_try_the_lobby(screen: Callable[..., BrowserContext], screenshots: Path) -> None:
    text = paragraph("Try the lobby")
    tokens = re.findall(r"`(mdt_demo-[\w-]+)`", text)
    assert tokens == ["mdt_demo-zgc-kiosk", "mdt_demo-zgc-board", "mdt_demo-zgc-rating-3"]
    assert "(counter 3)" in text and "`zgc.teller1`" in text and "`zgc.lobby`" in text
    kiosk_token, board_token, pad_token = tokens

    # "open /device/pair in three browser windows and pair them with the printed demo tokens"
    kiosk = screen(1080, 1920).new_page()
    pair(kiosk, kiosk_token)
    expect(kiosk).to_have_url(re.compile(r"/device/kiosk$"))
    board = screen(1920, 1080).new_page()
    pair(board, board_token)
    expect(board).to_have_url(re.compile(r"/device/board$"))
    pad = screen(1280, 800).new_page()
    pair(pad, pad_token, counter=3)
    expect(pad).to_have_url(re.compile(r"/device/rating/3$"))

    # "sign in as zgc.teller1 ... open 柜员工作台 (teller console), sign on to counter 3"
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.get_by_role("navigation").get_by_role("link", name="柜员工作台").click()
    teller.locator("[data-counter-select]").select_option("3")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("3号窗口")

    # "take a number at the kiosk, press F1 on the console"
    kiosk.locator("[data-screen=home] [data-service]").first.click()
    number = kiosk.get_by_test_id("issued").locator("[data-number]")
    expect(number).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    taken = number.inner_text()
    teller.keyboard.press("F1")
    expect(teller.locator("[data-number]")).to_have_text(taken)
    expect(board.locator("[data-now-number]")).to_have_text(taken)
    save(board, screenshots, "lobby-board")

    # "Sign in as zgc.lobby for 大堂看板 (the dashboard)."
    manager = screen(1440, 900).new_page()
    sign_in(manager, "zgc.lobby")
    manager.get_by_role("navigation").get_by_role("link", name="大堂看板").click()
    expect(manager.locator("[data-counter='3']")).to_contain_text("张伟")
    save(manager, screenshots, "lobby-dashboard")


def test_try_complaints(screen: Callable[..., BrowserContext], screenshots: Path) -> None:
    text = paragraph("Try complaints")
    for account in ("`zgc.handler`", "`hd.complaints`", "`bj.complaints`"):
        assert account in text
    assert "投诉工作台" in text and "督办看板" in text

    # "sign in as zgc.handler for 投诉工作台 (the demo has a case in every state, one overdue
    # and supervised)"
    handler = screen(1440, 900).new_page()
    sign_in(handler, "zgc.handler")
    handler.get_by_role("navigation").get_by_role("link", name="投诉工作台").click()
    expect(handler.get_by_role("heading", name="投诉工作台")).to_be_visible()
    rows = handler.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    expect(rows.filter(has_text="超期").first).to_be_visible()  # "one overdue"
    save(handler, screenshots, "complaints-workbench")

    # "as hd.complaints or bj.complaints for 督办看板"
    for account in ("hd.complaints", "bj.complaints"):
        manager = screen(1440, 900).new_page()
        sign_in(manager, account)
        manager.get_by_role("navigation").get_by_role("link", name="督办看板").click()
        expect(manager.get_by_role("heading", name="督办看板")).to_be_visible()
    save(manager, screenshots, "complaints-supervision")

    # "open /complaint without signing in for the customer's form and /complaint/status"
    phone = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    phone.goto("/complaint")
    expect(phone.get_by_role("heading", name="我要投诉")).to_be_visible()
    phone.goto("/complaint/status")
    expect(phone.locator("#reference")).to_be_visible()
    save(phone, screenshots, "complaints-status")


def test_try_the_paperless_counter(
    screen: Callable[..., BrowserContext], base_url: str, screenshots: Path
) -> None:
    text = paragraph("Try the paperless counter")
    assert "/prefill/BJ-HD-ZGC" in text and "李秀英" in text and "60,000" in text
    for step in ("F1", "F2", "F3", "F4", "F5", "F6", "`zgc.teller1`", "`zgc.supervisor`"):
        assert step in text, step
    li = demo_customer("李秀英")

    # "on a phone open /prefill/BJ-HD-ZGC, tick 存款 and 取款, fill the form with a demo customer
    # ... and a withdrawal of 60,000, and keep the code"
    phone = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    phone.goto("/prefill/BJ-HD-ZGC")
    for label in ("存款", "取款"):
        phone.locator("label", has_text=label).first.click()
    phone.get_by_role("button", name="下一步：填写信息").click()
    phone.locator("#f-customer_name").fill("李秀英")
    phone.locator("#f-id_number").fill(li["id"])
    phone.locator("#f-account_number").fill(li["card"])
    phone.locator("#f-item1-amount").fill("1000")
    phone.locator("#f-item2-amount").fill("60000")
    phone.get_by_role("button", name="提交，获取预填码").click()
    code = re.sub(r"\s", "", phone.locator("[data-code]").inner_text())
    save(phone, screenshots, "counter-code")

    # "Sign in as zgc.teller1, open 柜面业务, type the code"
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.get_by_role("navigation").get_by_role("link", name="柜面业务").click()
    teller.locator("#code").fill(code)
    teller.locator("#code").press("Enter")
    bundle = teller.get_by_test_id("bundle")
    expect(bundle).to_have_attribute("data-state", "draft")

    # "F1 the customer confirms"
    press(teller, "F1")
    teller.get_by_test_id("customer-review").get_by_role("button", name="确认无误").click()
    # "F2 reads her ID card (60,000 in cash, and she is 78)"
    expect(teller.get_by_test_id("next")).to_have_attribute("data-next", "identity")
    press(teller, "F2")
    expect(bundle).to_have_attribute("data-state", "identity_checked")
    # "F3 asks for authorisation; as zgc.supervisor approve it at 业务授权"
    press(teller, "F3")
    expect(bundle).to_have_attribute("data-state", "awaiting_authorisation")
    reference = bundle.get_attribute("data-reference") or ""
    supervisor = screen(1440, 900).new_page()
    sign_in(supervisor, "zgc.supervisor")
    supervisor.get_by_role("navigation").get_by_role("link", name="业务授权").click()
    supervisor.locator(f"article[data-reference='{reference}']").get_by_test_id("approve").click()

    # "F4 opens the simulated PIN pad (a wrong one is refused and F4 asks again, under the
    # same authorisation)"
    expect(bundle).to_have_attribute("data-state", "authorised", timeout=15_000)
    pad = teller.locator("dialog[data-pinpad]")
    for pin in ("111111", li["pin"]):
        press(teller, "F4")
        expect(pad).to_be_visible()
        for digit in pin:
            pad.locator(f"[data-digit='{digit}']").click()
        pad.locator("[data-pin-ok]").click()
        if pin == "111111":
            expect(bundle).to_have_attribute("data-state", "pin_retry")
    expect(bundle).to_have_attribute("data-state", "done")

    # "F5 the signature pad with each amount and result, F6 the e-voucher"
    press(teller, "F5")
    lines = teller.get_by_test_id("sig-lines").locator("li")
    expect(lines.nth(1).get_by_test_id("sig-amount")).to_have_text("人民币 60,000.00")
    draw_signature(teller, 60, 120, 30)
    save(teller, screenshots, "counter-signature")
    teller.get_by_role("button", name="确认签名").click()
    expect(bundle).to_have_attribute("data-state", "signed")
    press(teller, "F6")
    expect(bundle).to_have_attribute("data-state", "archived")
    expect(teller.get_by_test_id("voucher-link")).to_be_visible()
    save(teller, screenshots, "counter-archived")


def press(page: Page, key: str) -> None:
    """A function key once the page's script listens."""
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press(key)
