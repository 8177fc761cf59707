"""End-to-end, in real Chromium: a financial-literacy outreach event (普及金融知识) at 陆家嘴,
from its plan to its place in the roll-up.

陆家嘴's lobby manager (吴昊) plans a talk on telecom fraud at a care home; a phone number
left in the plan is refused next to its field, and nothing is stored. She records it as held
(58 participants, 120 leaflets, herself as staff), adds a photo, and sees the outlet's figures
for the month grow by the event; head office's service manager finds it in the Shanghai
branch's row, in English. The bank has a month of demo outreach already
(`guidance.outreach_demo`). Screenshots: test-artifacts/screenshots/outreach-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from manyi.db import Database
from manyi.guidance.outreach_demo import seed_outreach
from tests.counter_helpers import png
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def outreach_month(e2e_database_url: str) -> Iterator[None]:
    database = Database(e2e_database_url)
    with database.session() as session:
        seed_outreach(session, E2E_NOW)
    database.dispose()
    yield


def figure(page: Page, name: str) -> int:
    return int(page.get_by_test_id(name).inner_text())


def test_an_event_planned_held_with_a_photo_counts_in_the_roll_up(
    page: Page, screenshots: Path, tmp_path: Path
) -> None:
    errors = console_errors(page)
    sign_in(page, "ljz.lobby")
    page.goto("/guidance/outreach")
    expect(page.get_by_role("heading", name="金融知识普及")).to_be_visible()
    held_before, people_before = figure(page, "held"), figure(page, "participants")
    assert held_before > 0  # the demo's month

    page.get_by_test_id("new-event").click()
    page.locator("#title").fill("识破养老诈骗，守护“养老钱”")
    page.locator("#topic").select_option("fraud")
    page.locator("#venue_kind").select_option("care_home")
    page.locator("#venue").fill("浦东新区东昌养老院")
    page.locator("#planned_on").fill("2026-11-30")
    page.locator("#description").fill("联系院方王主任 138 0013 8000 安排场地")
    page.get_by_test_id("plan").click()
    problem = page.locator(".field.has-error").get_by_test_id("field-error")
    expect(problem).to_have_text("请删除手机号码：活动记录不得包含个人信息")
    expect(page.locator(".field.has-error #description")).to_be_visible()
    page.screenshot(path=str(screenshots / "outreach-plan-refused.png"), full_page=True)
    page.locator("#description").fill("与院方联系安排场地，准备反诈折页和案例视频。")
    page.get_by_test_id("plan").click()
    expect(page.locator("h1")).to_contain_text("宣教活动 HD20261130")
    expect(page.locator("[data-state=planned]")).to_have_text("计划中")

    page.screenshot(path=str(screenshots / "outreach-planned.png"), full_page=True)
    form = page.get_by_test_id("held-form")
    form.locator("#participants").fill("58")
    form.locator("#materials").fill("120")
    form.get_by_label("吴昊").check()
    form.locator("#summary").fill("讲解冒充公检法、养老投资骗局等案例，老人们踊跃提问。")
    form.get_by_test_id("record-held").click()
    expect(page.locator("[data-state=held]")).to_have_text("已开展")
    expect(page.get_by_test_id("event-participants")).to_have_text("58")

    picture = tmp_path / "outreach.png"
    picture.write_bytes(png(320, 240))
    page.locator("#photo").set_input_files(str(picture))
    page.get_by_test_id("upload").click()
    expect(page.locator(".or-photos img")).to_have_count(1)
    page.screenshot(path=str(screenshots / "outreach-event.png"), full_page=True)
    reference = page.locator("h1").inner_text().split()[-1]

    page.goto("/guidance/outreach")
    expect(page.locator(f"tr[data-reference='{reference}']")).to_contain_text("58")
    assert figure(page, "held") == held_before + 1
    assert figure(page, "participants") == people_before + 58
    fraud = page.locator("[data-testid=by-topic] tr[data-topic=fraud] td.num").first
    expect(fraud).not_to_have_text("0")
    page.screenshot(path=str(screenshots / "outreach-list.png"), full_page=True)

    # Head office's service manager sees the tier-1 branches, in English here: the Shanghai
    # branch's row holds 陆家嘴's new event.
    page.context.clear_cookies()
    sign_in(page, "ho.service")
    page.goto("/lang/en?next=/guidance/outreach")
    expect(page.get_by_role("heading", name="Financial-literacy outreach")).to_be_visible()
    rows = page.locator("[data-testid=rollup] tbody tr")
    expect(rows).to_have_count(3)  # 北京, 上海 and the total
    shanghai = page.locator("[data-testid=rollup] tr[data-unit=SH]")
    expect(shanghai).to_contain_text("Shanghai Branch")
    expect(page.locator(f"tr[data-reference='{reference}']")).to_contain_text("Fraud prevention")
    expect(page.get_by_test_id("new-event")).to_have_count(0)  # views, does not plan
    page.screenshot(path=str(screenshots / "outreach-head-office-en.png"), full_page=True)
    assert [e for e in errors if "422" not in e] == []  # the refused plan answered 422
