"""End-to-end: a service star approved by the branch, then head office, and the badge the
customer sees (挂牌上岗), in real Chromium.

The module's demo bank gets the rating pad's history (`quality.demo_pad`) and the stars demo
(`supervision.demo_stars`): 刘洋 (`zgc.teller2`) waits for the Beijing branch. `bj.head` approves
the branch step, `ho.service` the head-office step; then 刘洋 signs on at counter 3 and the
rating pad shows his name, staff number (工号) and stars, and so do the status page of the
ticket he calls and the counter's customer screen (the form's check) of his bundle.
Screenshots: test-artifacts/screenshots/stars-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from manyi.complaints import demo_praise
from manyi.counter import bundles, prefill
from manyi.counter.access import Clerk
from manyi.counter.adapters import registry
from manyi.counter.demo import id_card
from manyi.db import Database
from manyi.org.tables import Staff
from manyi.quality import demo_pad
from manyi.supervision import demo_stars
from tests.e2e.conftest import E2E_NOW, device_secret, pair, sign_in

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"


@pytest.fixture(scope="module")
def e2e_database_url(e2e_database_url: str, e2e_clock: dt.datetime) -> str:
    """The module's demo bank with the pad's history and the stars demo."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            demo_pad.seed(session, e2e_clock)
        with database.session() as session:  # the praise the stars count, registered first
            demo_praise.seed(session, e2e_clock)
        with database.session() as session:
            demo_stars.seed(session, e2e_clock)
    finally:
        database.dispose()
    return e2e_database_url


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"stars-{name}.png"), full_page=True)


def test_a_star_approved_by_the_branch_then_head_office_shows_on_the_rating_pad(
    screen: Callable[..., BrowserContext], e2e_database_url: str, base_url: str, screenshots: Path
) -> None:
    # The branch step: bj.head finds 刘洋's nomination waiting for him.
    branch = screen(1440, 900).new_page()
    sign_in(branch, "bj.head")
    branch.get_by_role("navigation").get_by_role("link", name="服务明星").click()
    # The candidates of 中关村, each score explained.
    candidates = branch.get_by_test_id("candidates")
    candidates.locator("select[name=outlet]").select_option("BJ-HD-ZGC")
    candidates.get_by_role("button", name="查看候选人").click()
    row = branch.locator("tr[data-staff='zgc.teller2']")
    row.locator("summary").click()
    expect(row.get_by_test_id("explanation").locator("[data-criterion=volume]")).to_be_visible()
    save(branch, screenshots, "candidates")
    waiting = branch.get_by_test_id("waiting")
    expect(waiting.get_by_role("link", name="刘洋")).to_be_visible()
    waiting.get_by_role("link", name="刘洋").click()
    expect(branch.get_by_test_id("state")).to_have_text("待分行审批")
    expect(branch.get_by_test_id("explanation").locator("[data-criterion=praise]")).to_contain_text(
        "客户表扬"
    )
    branch.get_by_test_id("approve").click()
    expect(branch.get_by_test_id("state")).to_have_text("待总行审批")
    save(branch, screenshots, "branch-approved")

    # The head-office step awards the star.
    office = screen(1440, 900).new_page()
    sign_in(office, "ho.service")
    office.goto(branch.url.split("?")[0])
    expect(office.get_by_test_id("state")).to_have_text("待总行审批")
    office.get_by_test_id("approve").click()
    expect(office.get_by_test_id("state")).to_have_text("已授予")
    expect(office.get_by_test_id("steps")).to_contain_text("许志远")
    save(office, screenshots, "awarded")
    # Head office's programme editor: the running programme is frozen (nominations exist).
    office.goto("/supervision/stars/programmes")
    expect(office.locator("[data-programme]")).to_contain_text("已有提名，本方案不能再修改。")
    save(office, screenshots, "programmes")

    # 刘洋 signs on at counter 3: its rating pad shows his badge.
    pad = screen(1280, 800).new_page()
    pair(pad, device_secret(e2e_database_url, OUTLET, "rating_pad", "e2e pad", counter=3))
    expect(pad).to_have_url(re.compile(r"/device/rating/3$"))
    expect(pad.get_by_test_id("teller-badge")).to_be_hidden()
    teller = screen(1440, 900).new_page()
    sign_in(teller, "zgc.teller2")
    teller.goto("/lobby/console")
    teller.locator("[data-counter-select]").select_option("3")
    teller.get_by_role("button", name="签到").click()
    expect(teller.locator("[data-my-counter]")).to_have_text("3号窗口")
    badge = pad.get_by_test_id("teller-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("刘洋")
    # Without the survey history the surveys' CSAT is not counted for him (no data).
    expect(badge.locator("[data-badge-stars]")).to_have_text(re.compile(r"^★{3,5}$"))
    expect(badge).to_contain_text("星服务明星")
    expect(badge.locator("[data-badge-no]")).to_have_text(re.compile(r"^BJ\d{5}$"))
    save(pad, screenshots, "rating-pad-badge")
    # The teller sees their own star on the console.
    expect(teller.get_by_test_id("star-progress")).to_contain_text("星服务明星")
    save(teller, screenshots, "console-progress")

    # A customer's ticket, called by 刘洋: the status page names who serves them.
    kiosk = {
        "Authorization": f"Bearer {device_secret(e2e_database_url, OUTLET, 'kiosk', 'e2e kiosk')}"
    }
    with httpx.Client(base_url=base_url) as http:
        token = http.post(
            "/device/api/v1/lobby/tickets", json={"service": "A"}, headers=kiosk
        ).json()["token"]
    teller.keyboard.press("F1")
    phone = screen(360, 740, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/t/{token}")
    expect(phone.locator("[data-where]")).to_have_text("请到 3 号窗口")
    expect(phone.locator("[data-go]").get_by_test_id("teller-badge")).to_contain_text("刘洋")
    save(phone, screenshots, "status-called-badge")

    # The counter's customer screen: the form's check of a bundle 刘洋 opened shows his badge.
    reference = open_bundle(e2e_database_url, "zgc.teller2")
    teller.goto(f"/counter/bundles/{reference}/review")
    counter_badge = teller.get_by_test_id("customer-review").get_by_test_id("teller-badge")
    expect(counter_badge).to_contain_text("刘洋")
    expect(counter_badge.locator("[data-badge-no]")).to_have_text(re.compile(r"^BJ\d{5}$"))
    expect(counter_badge.locator("[data-badge-stars]")).to_have_text(re.compile(r"^★{3,5}$"))
    save(teller, screenshots, "counter-review-badge")


def open_bundle(database_url: str, username: str) -> str:
    """A customer's pre-filled deposit at 中关村, opened by the teller: its reference."""
    database = Database(database_url)
    card = id_card("zhang_wei")
    values = {
        "customer_name": card.name,
        "id_type": "resident_id",
        "id_number": card.id_number,
        "account_number": registry.current().demo_accounts["zhang_wei"][1],
        "item1.amount": "1000",
        "item1.currency": "CNY",
    }
    now = E2E_NOW  # the module's clock starts here (tests/e2e/conftest.py)
    try:
        with database.session() as session:
            code = prefill.submit_prefill(session, OUTLET, ["deposit"], values, now).code
            staff = session.scalars(select(Staff).where(Staff.username == username)).one()
            return bundles.open_bundle(session, Clerk.of(staff), now, code=code).reference
    finally:
        database.dispose()
