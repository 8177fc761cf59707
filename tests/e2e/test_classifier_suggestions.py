"""End-to-end: a complaint filed on the public form arrives with the classifier's suggestions;
the outlet's handler sees them with their confidence on the case and accepts them with one click.
Screenshots: classifier-*.png."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from manyi.db import Database
from manyi.insight import issues, model_store, training
from manyi.insight.domain.issues import DEMO_SET
from tests.classifier_cases import TARGET_INDEX, TRAINER, fitted
from tests.e2e.conftest import E2E_NOW, TIMEOUT_MS, same_clock, sign_in

__all__ = ["fitted"]  # the session's fitted models, a fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def models(e2e_database_url: str, fitted: dict[str, training.Fitted]) -> None:
    """The bank's models, as `manyi complaints classifier train` would have stored them."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            issues.seed(session, DEMO_SET)
            for target in TARGET_INDEX:
                training.store(session, fitted[target], TRAINER, E2E_NOW - dt.timedelta(days=1))
    finally:
        database.dispose()
    model_store.clear_cache()


@pytest.fixture
def contexts(browser: Browser, base_url: str) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()


def open_page(
    browser: Browser, base_url: str, contexts: list[BrowserContext], width: int, height: int
) -> Page:
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": width, "height": height}, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    contexts.append(ctx)
    return ctx.new_page()


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"classifier-{name}.png"), full_page=True)


def test_a_handler_accepts_the_suggestions_on_a_public_form_complaint(
    browser: Browser,
    base_url: str,
    contexts: list[BrowserContext],
    screenshots: Path,
    models: None,
) -> None:
    customer = open_page(browser, base_url, contexts, 390, 844)
    customer.goto("/complaint")
    customer.locator("#subject").fill("取款机吞卡")
    customer.locator("#description").fill(
        "昨天在网点的ATM自助取款机取款，银行卡被吞了，钱也没取出来，至今没有人联系我。"
    )
    customer.locator("#outlet").select_option(label="中关村营业室")
    customer.locator("#name").fill("钱学文")
    customer.locator("#phone").fill("13911113333")
    customer.get_by_label(re.compile("我同意银行使用本表中的个人信息")).check()
    customer.get_by_role("button", name="提交投诉").click()
    expect(customer).to_have_url(re.compile(r"/complaint/done$"))
    reference = re.sub(r"\s", "", customer.locator("[data-reference]").inner_text())

    staff = open_page(browser, base_url, contexts, 1440, 900)
    sign_in(staff, "zgc.handler")
    staff.goto("/complaints")
    staff.get_by_role("link", name=reference).click()
    suggestions = staff.get_by_test_id("suggestions")
    expect(suggestions).to_be_visible()
    business = suggestions.locator("li[data-target=business]")
    expect(business).to_contain_text(re.compile(r"建议：银行卡 · 置信度 \d+%"))
    expect(suggestions.locator("li[data-target=issue]")).to_contain_text("自助设备")
    save(staff, screenshots, "1-suggested")

    staff.get_by_test_id("accept-business").click()
    expect(staff.get_by_test_id("flash")).to_contain_text("分类已保存")
    expect(staff.locator("li[data-target=business]")).to_contain_text("已采纳")
    expect(staff.get_by_test_id("case")).to_contain_text("银行卡")

    staff.get_by_test_id("accept-all").click()
    expect(staff.get_by_test_id("flash")).to_contain_text("分类已保存")
    expect(staff.get_by_test_id("accept-all")).to_have_count(0)
    expect(staff.locator("li[data-target=issue]")).to_contain_text("已采纳")
    expect(staff.get_by_test_id("timeline")).to_contain_text("采纳建议")
    save(staff, screenshots, "2-accepted")

    # Head office reads the model store and turns auto-apply on for the business type.
    admin = open_page(browser, base_url, contexts, 1440, 900)
    sign_in(admin, "admin")
    admin.goto("/insight/classifier")
    business = admin.get_by_test_id("target-business")
    expect(business).to_contain_text("v1")
    expect(business).to_contain_text("使用中")
    expect(business).to_contain_text("1 条已采纳")
    form = admin.get_by_test_id("auto-apply-business")
    form.locator("input[name=enabled]").check()
    form.locator("input[name=threshold]").fill("0.9")
    form.get_by_role("button").click()
    expect(admin.get_by_test_id("saved")).to_be_visible()
    expect(admin.get_by_test_id("auto-apply-business")).to_contain_text("admin")
    save(admin, screenshots, "3-model-store")
