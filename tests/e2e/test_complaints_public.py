"""End-to-end: a customer files a complaint on a phone, then follows it to the bank's reply.

A 390×844 phone (and a 360 px one for the form) in real Chromium: the form,
its errors in plain words, the reference and code, the look-up from another
phone, the reply and accepting it. Screenshots go to
test-artifacts/screenshots/complaint-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from manyi.complaints import handling, resolution
from manyi.complaints.access import Caller
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.org.tables import Staff
from tests.e2e.conftest import TIMEOUT_MS, readable, same_clock

pytestmark = pytest.mark.e2e
MINUTE = dt.timedelta(minutes=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    opened: list[BrowserContext] = []

    def open_phone(width: int = 390, height: int = 844) -> Page:
        ctx = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            locale="zh-CN",
            is_mobile=True,
            has_touch=True,
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        same_clock(ctx)
        opened.append(ctx)
        return ctx.new_page()

    yield open_phone
    for ctx in opened:
        ctx.close()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"complaint-{name}.png"), full_page=True)


# What `readable` measures in the page (one round trip).
def handler_of(e2e_database_url: str, reference: str) -> tuple[int, dt.datetime, Caller]:
    """The case's id, when it was received and its handler."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            case = session.scalar(select(Complaint).where(Complaint.reference == reference))
            assert case is not None and case.handler_id is not None
            person = session.get(Staff, case.handler_id)
            assert person is not None
            return (
                case.id,
                case.received_at,
                Caller.of(person),
            )
    finally:
        database.dispose()


def reply(e2e_database_url: str, reference: str, text: str) -> None:
    case_id, received, caller = handler_of(e2e_database_url, reference)
    # The handler starts a minute after receipt and replies a minute later.
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            handling.start(session, caller, case_id, received + MINUTE, note="")
            resolution.decide(
                session,
                caller,
                case_id,
                received + 2 * MINUTE,
                decision=text,
                reply_channel="online",
                verdict="upheld",
                root_cause_kind="process",
            )
    finally:
        database.dispose()


def test_a_customer_files_a_complaint_and_accepts_the_reply(
    phone: Callable[..., Page], screenshots: Path, e2e_database_url: str, tmp_path: Path
) -> None:
    # The narrowest phone first: the empty form, then what a hasty customer gets back.
    small = phone(360, 740)
    small.goto("/complaint")
    expect(small.get_by_role("heading", name="我要投诉")).to_be_visible()
    readable(small)
    save(small, screenshots, "form-360")
    small.locator("#subject").fill("排队太久")
    small.locator("#phone").fill("1381234567")
    small.get_by_role("button", name="提交投诉").click()
    expect(small.get_by_test_id("problems")).to_be_visible()
    phone_problem = small.locator("[data-problem=phone]")
    expect(phone_problem).to_have_text(re.compile("11 位数字，您填了 10 位"))
    expect(small.locator("[data-problem=name]")).to_be_visible()
    expect(small.locator("[data-problem=consent]")).to_be_visible()
    expect(small.locator("#subject")).to_have_value("排队太久")  # what was typed is kept
    readable(small)
    save(small, screenshots, "form-errors-360")
    small.get_by_role("link", name="English").click()
    expect(small.get_by_role("heading", name="File a complaint")).to_be_visible()
    readable(small)
    save(small, screenshots, "form-en-360")

    # A 390 px phone fills it in properly, with a photo.
    page = phone()
    page.goto("/complaint")
    page.locator("#subject").fill("排队一个多小时，无人解释")
    page.locator("#description").fill(
        "今天上午九点到中关村营业室办理存款，叫号机显示前面只有三人，"
        "但等了一个多小时，大堂没有工作人员说明原因。"
    )
    page.locator("#ask").fill("希望改进叫号安排，并给我一个解释。")
    page.locator("#outlet").select_option(label="中关村营业室")
    photo = tmp_path / "排队.png"
    photo.write_bytes(PNG)
    expect(page.locator("[data-pick]")).to_have_text("选择照片或文件")
    page.locator("#files").set_input_files(str(photo))
    expect(page.locator("[data-chosen]")).to_contain_text("排队.png · 1 KB")
    page.locator("#name").fill("王淑芬")
    page.locator("#phone").fill("138 1234 5678")
    page.locator("#id_number").fill("11010519491231002X")
    page.get_by_label(re.compile("我同意银行使用本表中的个人信息")).check()
    readable(page)
    save(page, screenshots, "form-filled")
    page.get_by_role("button", name="提交投诉").click()

    expect(page).to_have_url(re.compile(r"/complaint/done$"))
    expect(page.get_by_role("status")).to_have_text(re.compile("我们已收到您的投诉"))
    reference = re.sub(r"\s", "", page.locator("[data-reference]").inner_text())
    code = re.sub(r"\s", "", page.locator("[data-code]").inner_text())
    assert re.fullmatch(r"TS\d{15}", reference) and re.fullmatch(r"[A-Z2-9]{8}", code)
    expect(page.get_by_role("button", name="打印本页")).to_be_visible()
    expect(page.get_by_text(re.compile(r"银行须在 15 日内答复您，最迟 \d{4}年"))).to_be_visible()
    size = page.locator("[data-code]").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 40
    readable(page)
    save(page, screenshots, "done")

    # Another phone: the look-up needs both numbers; a wrong code says only "not found".
    other = phone()
    other.goto("/complaint/status")
    expect(other.get_by_role("heading", name="查询投诉进度")).to_be_visible()
    readable(other)
    save(other, screenshots, "lookup")
    other.locator("#reference").fill(reference)
    other.locator("#code").fill("AAAA2222")
    other.get_by_role("button", name="查询").click()
    expect(other.get_by_test_id("not-found")).to_have_text(re.compile("没有找到这件投诉"))
    other.locator("#code").fill(f"{code[:4].lower()} {code[4:].lower()}")
    other.get_by_role("button", name="查询").click()
    expect(other).to_have_url(re.compile(rf"/complaint/status/{reference}$"))
    expect(other.locator("[data-state]")).to_have_text("已受理")
    expect(other.get_by_test_id("timeline")).to_contain_text("我们已收到您的投诉。")
    expect(other.locator("[data-due]")).to_have_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    readable(other)
    save(other, screenshots, "status-received")

    # The bank replies; the customer reads it and accepts.
    reply(e2e_database_url, reference, "经核实，当天叫号系统故障，已修复。向您致歉，感谢监督。")
    other.reload()
    expect(other.locator("[data-state]")).to_have_text("已答复")
    expect(other.get_by_test_id("reply")).to_contain_text("叫号系统故障")
    expect(other.get_by_role("link", name="对答复不满意")).to_be_visible()
    readable(other)
    save(other, screenshots, "status-replied")
    other.get_by_role("link", name="接受答复").click()
    expect(other.get_by_role("heading", name="确认接受银行的答复吗？")).to_be_visible()
    readable(other)
    save(other, screenshots, "accept-confirm")
    other.get_by_role("button", name="确认接受").click()
    expect(other.locator("[data-state]")).to_have_text("已办结")
    expect(other.get_by_test_id("timeline")).to_contain_text("您接受了答复，投诉已办结。")
    expect(other.get_by_role("link", name="接受答复")).to_have_count(0)
    readable(other)
    save(other, screenshots, "status-closed")

    # Guessing codes for one complaint number soon stops.
    guesser = phone()
    guesser.goto("/complaint/status")
    for _ in range(11):
        guesser.locator("#reference").fill("TS202001010000001")
        guesser.locator("#code").fill("GUESS234")
        guesser.get_by_role("button", name="查询").click()
        guesser.wait_for_load_state()
        if guesser.get_by_test_id("limited").count():
            break
    expect(guesser.get_by_test_id("limited")).to_have_text(re.compile("请一小时后再试"))
    readable(guesser)
    save(guesser, screenshots, "limited")
