"""End-to-end: pages that say what is true (issue 15 #12–#14), in real Chromium.

The home page says what each of the user's screens is for; a file over the upload limit is
refused on the case itself, before it is sent; a pasted complaint over 5,000 characters is
kept whole and the customer is told how much to cut before sending. Screenshots:
honest-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, same_clock, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    opened: list[BrowserContext] = []

    def new(width: int = 1440, height: int = 900, *, mobile: bool = False) -> Page:
        ctx = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            locale="zh-CN",
            is_mobile=mobile,
            has_touch=mobile,
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        same_clock(ctx)
        opened.append(ctx)
        return ctx.new_page()

    yield new
    for ctx in opened:
        ctx.close()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"honest-{name}.png"), full_page=True)


def test_the_home_page_says_what_each_screen_is_for(
    open_page: Callable[..., Page], screenshots: Path
) -> None:
    page = open_page()
    sign_in(page, "zgc.teller1")
    shortcuts = page.get_by_test_id("home-shortcuts")
    expect(shortcuts).to_contain_text("柜员工作台")
    expect(shortcuts).to_contain_text("签到窗口，呼叫下一位客户")
    expect(page.locator("main")).not_to_contain_text("安装")
    save(page, screenshots, "home-teller")


def test_a_long_complaint_is_kept_whole_and_a_big_file_refused_on_the_case(
    open_page: Callable[..., Page], screenshots: Path
) -> None:
    phone = open_page(390, 844, mobile=True)
    phone.goto("/complaint")
    text = "我在网点等候了很久，没有人解释原因。" * 334  # 6,012 characters, as if pasted
    phone.locator("#description").fill(text)
    count = phone.locator("[data-count-for=description]")
    expect(count).to_contain_text("超出 1012 字")
    assert len(phone.locator("#description").input_value()) == len(text)  # nothing cut
    phone.locator("#subject").fill("等候时间过长")
    phone.locator("#name").fill("周建平")
    phone.locator("#phone").fill("13911112222")
    phone.locator("#outlet").select_option(label="中关村营业室")
    phone.get_by_label(re.compile("我同意银行使用本表中的个人信息")).check()
    phone.get_by_role("button", name="提交投诉").click()
    expect(phone).to_have_url(re.compile(r"/complaint$"))  # not sent
    save(phone, screenshots, "complaint-too-long")
    phone.locator("#description").fill(text[:4990])
    expect(count).to_contain_text("已输入 4990 字")
    expect(count).not_to_have_class(re.compile(r"\bbad\b"))
    phone.get_by_role("button", name="提交投诉").click()
    expect(phone).to_have_url(re.compile(r"/complaint/done$"))
    reference = re.sub(r"\s", "", phone.locator("[data-reference]").inner_text())

    # The outlet's handler adds a scan to it: over 10 MB is refused on the case, before sending.
    page = open_page()
    sign_in(page, "zgc.handler")
    page.goto("/complaints")
    page.get_by_role("link", name=reference).click()
    case_url = page.url
    page.locator("[data-action=attach] > summary").click()
    attach = page.locator("[data-action=attach]")
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)  # just over the 10 MB limit
    attach.locator("input[type=file]").set_input_files(
        {"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": big}, timeout=30_000
    )
    problem = page.locator("#file-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("文件超过 10 MB，未上传")
    attach.locator("button[type=submit]").click()  # the browser keeps the form: it is invalid
    expect(page).to_have_url(case_url)
    expect(problem).to_be_visible()
    save(page, screenshots, "attach-too-large")
    # A file within the limit is still taken.
    attach.locator("input[type=file]").set_input_files(
        {"name": "小票.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    expect(problem).to_be_hidden()


def test_the_audit_log_fits_the_window_and_reads_in_words(
    open_page: Callable[..., Page], screenshots: Path
) -> None:
    page = open_page(1440, 900)
    sign_in(page, "admin")
    page.goto("/admin/audit")
    log = page.get_by_test_id("audit")
    expect(log).to_contain_text("登录 · 登录成功")
    expect(log.locator("[data-action='staff.created']").first).to_have_text("员工账户 · 新建")
    wide = page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")
    assert not wide, "the audit log scrolls sideways at 1,440 px"
    log.locator("details summary").first.click()
    expect(log.locator("details[open] pre").first).to_be_visible()
    save(page, screenshots, "audit-log")
