"""End-to-end: maker-checker on bank-wide settings, in real Chromium on the demo bank.

`admin` raises the withdrawal's supervisor threshold and proposes a longer closing rule for a
deadline policy; neither takes effect. `admin2`, the second head-office administrator, sees
both waiting with what they change, approves the threshold and rejects the closing rule.
Screenshots: maker-checker-catalogue.png (the approval screen), maker-checker-policies.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.counter import catalogue_store
from manyi.db import Database
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
Shot = Callable[[str], Path]


def propose_as_admin(maker: Page) -> None:
    sign_in(maker, "admin")
    maker.goto("/counter/catalogue/withdraw")
    editor = maker.locator("#document")
    document = json.loads(editor.input_value())
    document["x-manyi"]["authorisation"][0]["when"]["amount_at_least"] = "100000"
    editor.fill(json.dumps(document, indent=2, ensure_ascii=False))
    maker.locator("#reason").fill("2026 年授权制度调整：主管授权起点提高到十万元")
    maker.get_by_role("button", name=re.compile("发布第 \\d+ 版")).click()
    expect(maker.get_by_test_id("proposed")).to_contain_text("另一位总行管理员复核通过后生效")
    waiting = maker.get_by_test_id("pending-changes")
    expect(waiting).to_contain_text("金额 ≥ 100000 → 主管授权")
    expect(waiting.get_by_role("button", name="撤回")).to_be_visible()
    expect(waiting.get_by_role("button", name="通过")).to_have_count(0)  # not one's own

    maker.goto("/complaints/settings?tab=policies")
    maker.locator("#close_code").select_option("cbirc-2020")
    maker.locator("#close_after_days").fill("14")
    maker.get_by_role("button", name="提交复核").click()
    expect(maker.get_by_test_id("proposed")).to_be_visible()
    expect(maker.get_by_test_id("pending-changes")).to_contain_text("7 → 14")


def seed_catalogue(url: str) -> None:
    database = Database(url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session)
    finally:
        database.dispose()


def test_a_second_head_office_admin_approves_or_rejects(
    page: Page, shot: Shot, screen: Callable[..., BrowserContext], e2e_database_url: str
) -> None:
    seed_catalogue(e2e_database_url)
    propose_as_admin(screen(1280, 800).new_page())

    sign_in(page, "admin2")
    page.get_by_role("navigation").get_by_role("link", name="交易目录").click()
    waiting = page.get_by_test_id("pending-changes")
    change = waiting.locator("article.pending-change")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("金额 ≥ 50000 → 主管授权")
    expect(change).to_contain_text("金额 ≥ 100000 → 主管授权")
    expect(change.get_by_test_id("rule-removed")).to_have_text("金额 ≥ 50000 → 主管授权")
    expect(change.get_by_test_id("rule-added")).to_have_text("金额 ≥ 100000 → 主管授权")
    expect(change).to_contain_text("2026 年授权制度调整")
    expect(change).to_contain_text("系统管理员 于")
    # Not in effect yet: the list still shows the old threshold.
    row = page.get_by_test_id("catalogue").locator('tr[data-code="withdraw"]')
    expect(row).to_contain_text("金额 ≥ 50000 → 主管授权")
    change.scroll_into_view_if_needed()
    shot("maker-checker-catalogue")

    change.get_by_role("button", name="复核通过").click()
    expect(page.get_by_test_id("decided")).to_have_text("已复核通过，修改已生效。")
    expect(row).to_contain_text("金额 ≥ 100000 → 主管授权")
    expect(row).to_contain_text("v2")
    expect(page.get_by_test_id("pending-changes")).to_contain_text("没有待复核的修改。")

    page.get_by_role("navigation").get_by_role("link", name="投诉设置").click()
    page.get_by_role("link", name="时限政策").click()
    policy = page.get_by_test_id("pending-changes").locator("article.pending-change")
    expect(policy).to_contain_text("7 → 14")
    policy.get_by_label("理由").fill("与监管口径不符")
    shot("maker-checker-policies")
    policy.get_by_role("button", name="驳回").click()
    expect(page.get_by_test_id("decided")).to_have_text("已驳回，设置未改变。")
    expect(page.get_by_test_id("close-after")).to_contain_text("cbirc-2020 (7)")
