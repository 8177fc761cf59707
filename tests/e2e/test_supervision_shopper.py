"""End-to-end: the mystery shopper's page on a 390 × 844 phone, without sign-in: the script and
the items, a report refused while an item is unanswered (what was chosen kept), sent once, and
the link spent afterwards. Screenshots: test-artifacts/screenshots/mystery-shopper-*.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database, utcnow
from manyi.org.tables import Unit
from manyi.supervision import mystery
from tests.e2e.conftest import readable
from tests.rect_helpers import actor

pytestmark = pytest.mark.e2e
PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def assignment(url: str) -> tuple[str, list[str]]:
    """A scenario assigned to Wangjing by head office's inspector: the link's token and the
    items the shopper judges."""
    database = Database(url)
    try:
        inspector = actor(database, "ho.inspector")
        with database.session() as session:
            outlet = session.query(Unit).filter_by(code="BJ-CY-WJ").one()
            scenario = mystery.create_scenario(
                session,
                inspector,
                code="MS-E2E",
                title_zh="大额取现预约咨询",
                title_en="",
                steps_zh="取号后咨询大额取现是否需要预约\n观察柜员是否起身问候、是否挂牌",
                steps_en="",
                now=utcnow(),
            )
            done = mystery.assign(
                session,
                inspector,
                scenario_id=scenario,
                outlet_id=outlet.id,
                planned_on=utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
                shopper_label="暗访员E",
                valid_days=7,
                now=utcnow(),
            )
            return done.token, [i.code for i in mystery.current_items(session)]
    finally:
        database.dispose()


def test_the_shopper_reports_once_from_a_phone(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    token, items = assignment(e2e_database_url)
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/m/{token}")
    expect(phone.get_by_role("heading", name="大额取现预约咨询")).to_be_visible()
    expect(phone.get_by_test_id("outlet")).to_contain_text("望京")
    expect(phone.get_by_test_id("script").locator("li")).to_have_count(2)
    readable(phone)
    phone.screenshot(path=str(screenshots / "mystery-shopper-phone.png"), full_page=True)

    first, *rest = items
    phone.locator(f"[data-item={first}] label.fail").click()
    phone.locator(f"input[name=note-{first}]").fill("未佩戴工号牌")
    phone.get_by_test_id("send").click()
    expect(phone.locator(f"[data-item={rest[0]}] .error")).to_contain_text(rest[0])
    expect(phone.locator(f"[data-item={rest[-1]}] .error")).to_have_text("请回答这个问题。")
    expect(phone.locator(f"[data-item={first}] .error")).to_have_count(0)
    expect(phone.locator(f"[data-item={first}] input[value=failed]")).to_be_checked()
    for code in rest:
        phone.locator(f"[data-item={code}] label.pass").click()
    phone.screenshot(path=str(screenshots / "mystery-shopper-filled.png"), full_page=True)
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("shopper-message")).to_have_attribute("data-kind", "thanks")
    phone.screenshot(path=str(screenshots / "mystery-shopper-thanks.png"), full_page=True)

    phone.go_back()  # the form again, sent a second time: the link is spent
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("shopper-message")).to_have_attribute("data-kind", "mystery_used")
    phone.screenshot(path=str(screenshots / "mystery-shopper-spent.png"), full_page=True)
