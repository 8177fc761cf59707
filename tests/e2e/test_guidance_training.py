"""End-to-end: a typical case from an inspection finding, refused while it names a colleague,
submitted, approved by head office; a training module of it published and assigned to the
outlet; a teller takes it and passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.supervision import inspections
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from tests.e2e.conftest import E2E_NOW, sign_in
from tests.rect_helpers import actor

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
STORY = "一位老年客户走近窗口时，某柜员仍低头整理凭证，未起身迎接，也没有使用服务用语。"


@pytest.fixture(scope="module")
def finding(e2e_database_url: str) -> str:
    """An inspection of 中关村 by the Beijing branch's inspector, submitted with G1 failed."""
    database = Database(e2e_database_url)
    try:
        me = actor(database, "bj.inspector")
        answers = {i.code: ("passed", "") for i in DEFAULT_ITEMS} | {"G1": ("failed", "未起身迎接")}
        with database.session() as session:
            from sqlalchemy import select

            from manyi.org.tables import Unit

            outlet = session.scalars(select(Unit).where(Unit.code == OUTLET)).one()
            visit = inspections.schedule_visit(
                session, me, outlet_id=outlet.id, kind="scheduled",
                planned_on=(E2E_NOW + dt.timedelta(hours=8)).date(), now=E2E_NOW,
            )  # fmt: skip
            inspections.record_results(session, me, visit, answers, E2E_NOW)
            inspections.submit_visit(session, me, visit, E2E_NOW)
        return f"{visit}/G1"
    finally:
        database.dispose()


def test_a_case_from_draft_to_a_published_module_to_a_tellers_completed_training(
    screen: Callable[..., BrowserContext], screenshots: Path, finding: str
) -> None:
    head = screen(1440, 900).new_page()
    sign_in(head, "zgc.head")
    head.goto(f"/guidance/cases/new?source_kind=inspection&source_ref={finding}")
    expect(head.get_by_test_id("source-text")).to_contain_text("未起身迎接")
    head.locator("#title").fill("客户走近窗口，柜员未起身迎接")
    head.locator("#story").fill(STORY + "当班柜员张伟事后表示歉意。")
    head.locator("#lessons").fill("客户走近时起身相迎、主动问候。")
    head.get_by_test_id("topic-attitude").check()
    with head.expect_navigation():
        head.get_by_test_id("save-draft").click()
    expect(head.get_by_test_id("error")).to_contain_text("张*")  # a colleague's name, masked
    head.screenshot(path=str(screenshots / "guidance-case-refused.png"), full_page=True)
    head.locator("#story").fill(STORY)
    with head.expect_navigation():
        head.get_by_test_id("save-draft").click()
    with head.expect_navigation():
        head.get_by_test_id("submit").click()
    expect(head.get_by_test_id("state")).to_have_text("待总行审核")
    case_url = head.url

    office = screen(1440, 900).new_page()
    sign_in(office, "ho.service")
    office.goto(case_url)
    with office.expect_navigation():
        office.get_by_test_id("approve").click()
    expect(office.get_by_test_id("state")).to_have_text("已发布")
    office.screenshot(path=str(screenshots / "guidance-case-published.png"), full_page=True)
    case_id = case_url.rsplit("/", 1)[1]
    office.goto("/guidance/training/modules")
    form = office.get_by_test_id("new-module")
    form.locator("#title").fill("起身迎接与规范服务用语")
    form.locator("#items").fill("G1")
    office.get_by_test_id(f"module-case-{case_id}").check()
    form.locator("#questions").fill(
        "老年客户走近窗口时，柜员首先应当： | 继续整理凭证 | *起身相迎并主动问候"
        " // 起身相迎、主动问候是窗口服务规范的第一步。"
    )
    with office.expect_navigation():
        office.get_by_test_id("create-module").click()
    row = office.get_by_test_id("module-list").locator("tbody tr").first
    with office.expect_navigation():
        row.get_by_role("button", name="发布").click()
    row = office.get_by_test_id("module-list").locator("tbody tr").first
    row.get_by_role("textbox", name="网点代码").fill(OUTLET)
    with office.expect_navigation():
        row.get_by_role("button", name="分派").click()
    office.screenshot(path=str(screenshots / "guidance-modules.png"), full_page=True)

    teller = screen(1280, 900).new_page()
    sign_in(teller, "zgc.teller1")
    teller.goto("/guidance/training")
    module_row = teller.get_by_test_id("modules").locator("tbody tr").first
    expect(module_row).to_contain_text("已分派给本网点")
    with teller.expect_navigation():
        module_row.get_by_role("link", name="开始学习").click()
    expect(teller.get_by_text("客户走近窗口，柜员未起身迎接")).to_be_visible()
    teller.get_by_test_id("q1").get_by_label("起身相迎并主动问候").check()
    with teller.expect_navigation():
        teller.get_by_test_id("hand-in").click()
    expect(teller.get_by_test_id("outcome")).to_have_text("通过")
    teller.screenshot(path=str(screenshots / "guidance-training-passed.png"), full_page=True)
    teller.goto("/guidance/training")
    expect(teller.get_by_test_id("modules").get_by_test_id("passed")).to_have_count(1)

    office.goto("/guidance/training/report")
    expect(office.get_by_test_id(f"outlet-{OUTLET}")).to_contain_text("中关村")
    office.screenshot(path=str(screenshots / "guidance-training-report.png"), full_page=True)
