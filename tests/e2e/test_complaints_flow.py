"""End-to-end: from the public form to closure, through the staff pages, in real Chromium.

A customer files on a phone; the outlet's complaint handler finds the case on
the workbench with its countdown, starts it, asks for an extension, records
the decision; the customer reads the reply on the status page and accepts;
the handler sees the case closed. Screenshots: complaint-flow-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, same_clock, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def contexts(browser: Browser, base_url: str) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()


def open_page(
    browser: Browser,
    base_url: str,
    contexts: list[BrowserContext],
    width: int,
    height: int,
    *,
    mobile: bool,
) -> Page:
    ctx = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        locale="zh-CN",
        is_mobile=mobile,
        has_touch=mobile,
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    contexts.append(ctx)
    return ctx.new_page()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"complaint-flow-{name}.png"), full_page=True)


def test_from_the_public_form_to_closure(
    browser: Browser, base_url: str, contexts: list[BrowserContext], screenshots: Path
) -> None:
    # 1. The customer files on a phone.
    customer = open_page(browser, base_url, contexts, 390, 844, mobile=True)
    customer.goto("/complaint")
    customer.locator("#subject").fill("理财经理电话推销频繁")
    customer.locator("#description").fill(
        "近一个月每周接到三次以上推销电话，已明确拒绝仍继续来电。"
    )
    customer.locator("#ask").fill("停止推销来电。")
    customer.locator("#outlet").select_option(label="中关村营业室")
    customer.locator("#name").fill("周建平")
    customer.locator("#phone").fill("13911112222")
    customer.get_by_label(re.compile("我同意银行使用本表中的个人信息")).check()
    customer.get_by_role("button", name="提交投诉").click()
    expect(customer).to_have_url(re.compile(r"/complaint/done$"))
    reference = re.sub(r"\s", "", customer.locator("[data-reference]").inner_text())
    code = re.sub(r"\s", "", customer.locator("[data-code]").inner_text())
    save(customer, screenshots, "1-filed")

    # 2. The outlet's handler finds it on the workbench, with the time left in green.
    staff = open_page(browser, base_url, contexts, 1440, 900, mobile=False)
    sign_in(staff, "zgc.handler")
    staff.goto("/complaints")
    row = staff.locator("tr", has=staff.get_by_role("link", name=reference))
    expect(row).to_contain_text("理财经理电话推销频繁")
    expect(row).to_contain_text(re.compile(r"剩 1[45] 天"))
    save(staff, screenshots, "2-workbench")
    staff.get_by_role("link", name=reference).click()
    case = staff.get_by_test_id("case")
    expect(staff.get_by_test_id("state")).to_have_text("已分派")
    expect(staff.get_by_test_id("phone")).to_have_text("13911112222")  # a handler needs it

    # 3. Classify (the public form does not ask the customer), start, extend, decide.
    staff.locator("[data-action=classify] > summary").click()
    classify = staff.locator("[data-action=classify]")
    classify.locator("#cls-channel_code").select_option("electronic.phone")
    classify.locator("#cls-business_code").select_option("agency.wealth")
    classify.locator("#cls-cause_code").select_option("marketing")
    classify.get_by_role("button").click()
    expect(staff.get_by_test_id("flash")).to_contain_text("分类已保存")
    expect(case).to_contain_text("营销方式")
    staff.locator("[data-action=start] > summary").click()
    staff.locator("[data-action=start]").get_by_role("button").click()
    expect(staff.get_by_test_id("state")).to_have_text("调查处理中")
    staff.locator("[data-action=extend] > summary").click()
    extend = staff.locator("[data-action=extend]")
    extend.locator("textarea").fill("需调取近一个月的外呼记录")
    extend.get_by_role("button").click()
    expect(staff.get_by_test_id("error")).to_be_visible()  # the complainant must be told first
    extend = staff.locator("[data-action=extend]")
    extend.locator("input[type=checkbox]").check()
    extend.get_by_role("button").click()
    expect(staff.get_by_test_id("deadline")).to_contain_text("30")
    staff.locator("[data-action=decide] > summary").click()
    decide = staff.locator("[data-action=decide]")
    decide.locator("#decision").fill(
        "已将您的号码列入营销免打扰名单，并对相关理财经理进行了批评教育。向您致歉。"
    )
    decide.locator("#reply_channel").select_option("online")
    decide.locator("[data-testid=verdict-upheld]").check()
    decide.locator("#root_cause_kind").select_option("process")
    decide.locator("#root_cause").fill("外呼名单未过滤已拒绝客户")
    save(staff, screenshots, "3-deciding")
    decide.get_by_role("button").click()
    expect(staff.get_by_test_id("state")).to_have_text("已答复")
    expect(staff.get_by_test_id("decision")).to_contain_text("免打扰名单")
    expect(case).to_have_attribute("data-state", "decided")
    save(staff, screenshots, "4-decided")

    # 4. The customer reads the reply and accepts it.
    customer.goto("/complaint/status")
    customer.locator("#reference").fill(reference)
    customer.locator("#code").fill(code)
    customer.get_by_role("button", name="查询").click()
    expect(customer.locator("[data-state]")).to_have_text("已答复")
    expect(customer.get_by_test_id("reply")).to_contain_text("免打扰名单")
    expect(customer.get_by_test_id("timeline")).not_to_contain_text("外呼名单未过滤")  # internal
    save(customer, screenshots, "5-reply")
    customer.get_by_role("link", name="接受答复").click()
    customer.get_by_role("button", name="确认接受").click()
    expect(customer.locator("[data-state]")).to_have_text("已办结")
    save(customer, screenshots, "6-closed")

    # 5. The handler sees it closed, with every step on the timeline.
    staff.reload()
    expect(staff.get_by_test_id("state")).to_have_text("已办结")
    timeline = staff.get_by_test_id("timeline")
    for step in ("登记投诉", "分派处理人", "调整分类", "开始调查处理", "申请延期", "答复", "办结"):
        expect(timeline).to_contain_text(step)
    expect(staff.get_by_test_id("actions")).not_to_contain_text("答复")
    save(staff, screenshots, "7-closed")
