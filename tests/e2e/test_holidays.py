"""End-to-end: holidays the bank enters itself, in real Chromium on the demo bank.

The module's clock starts on Monday 2026-12-28 (E2E_NOW four weeks on): a complaint received
then under the working-day policy has 15 working days running into 2027, a year the
`chinese_calendar` package does not know. Its case page warns that Monday to Friday is assumed.
A branch administrator reads the holidays page and may not change it; head office types the
2027 notice, is told which line is wrong, corrects it and saves; the case's due date moves past
元旦 and the warning is gone.
Screenshots: holidays-case-guess.png, holidays-refused.png, holidays-saved.png,
holidays-case-entered.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect
from sqlalchemy import select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.org import service as unit_service
from tests.e2e.conftest import E2E_NOW, sign_in

pytestmark = pytest.mark.e2e
Shot = Callable[[str], Path]

# Monday 2026-12-28, 10:00 in Beijing (E2E_NOW, Monday 2026-11-30, four weeks on).
HOLIDAY_NOW = E2E_NOW + dt.timedelta(weeks=4)
SUBJECT = "跨年投诉：工作日时限进入2027年"
NOTICE_BAD = "2027-01-01..2027-01-03 元旦\n2027-02-31 春节\n2027-02-20 上班 春节"
NOTICE = "2027-01-01..2027-01-03 元旦\n2027-02-05..2027-02-13 春节\n2027-02-20 上班 春节"


@pytest.fixture(scope="module")
def e2e_clock() -> Iterator[dt.datetime]:
    """This module's clock: four weeks after E2E_NOW, ticking."""
    with time_machine.travel(HOLIDAY_NOW, tick=True):
        yield HOLIDAY_NOW


@pytest.fixture(scope="module")
def e2e_database_url(e2e_database_url: str, e2e_clock: dt.datetime) -> str:
    """The demo bank with one complaint received now under the working-day policy."""
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            outlet = unit_service.unit_by_code(session, "BJ-HD-ZGC")
            assert outlet is not None
            form = intake.ComplaintForm(
                intake="hotline",
                subject=SUBJECT,
                description="客户反映年底办理业务等候过久。",
                complainant_name="王五",
                complainant_phone="13812345678",
                responsible_unit_id=outlet.id,
            )
            intake.register(
                session,
                system_caller("e2e"),
                form,
                e2e_clock,
                registered_unit_id=outlet.id,
                policy_code="cbirc-2020-workdays",
            )
    finally:
        database.dispose()
    return e2e_database_url


def case_url(url: str) -> str:
    database = Database(url)
    try:
        with database.read() as session:
            found = session.scalar(select(Complaint.id).where(Complaint.subject == SUBJECT))
    finally:
        database.dispose()
    return f"/complaints/{found}"


def test_head_office_enters_2027_and_the_case_warning_goes(
    page: Page, shot: Shot, e2e_database_url: str
) -> None:
    case = case_url(e2e_database_url)
    sign_in(page, "ho.complaints")
    page.goto(case)
    warning = page.get_by_test_id("calendar-guess")
    expect(warning).to_contain_text("2027 年")
    expect(warning).to_contain_text("暂按周一至周五计算")
    expect(page.get_by_test_id("deadline")).to_contain_text("2027-01-18")
    shot("holidays-case-guess")
    page.context.clear_cookies()

    # A branch administrator reads the calendar but cannot change it.
    sign_in(page, "bj.admin")
    page.goto("/admin/holidays")
    expect(page.get_by_test_id("head-office-only")).to_be_visible()
    expect(page.locator('tr[data-year="2027"]')).to_have_attribute("data-source", "guess")
    expect(page.get_by_role("button", name="保存该年")).to_have_count(0)
    page.context.clear_cookies()

    # Head office types the notice; a wrong line is named, nothing is stored.
    sign_in(page, "admin")
    page.goto("/complaints/settings")
    page.get_by_test_id("holidays-link").click()
    expect(page.get_by_test_id("guess-2027")).to_be_visible()
    form = page.get_by_test_id("enter-year")
    form.locator("input[name=year]").fill("2027")
    form.locator("input[name=source]").fill("国办发明电〔2026〕示例")
    form.locator("textarea[name=text]").fill(NOTICE_BAD)
    form.get_by_role("button", name="保存该年").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("第 2 行")
    expect(problems).to_contain_text("2027-02-31 不是日期")
    expect(page.locator('tr[data-year="2027"]')).to_have_attribute("data-source", "guess")
    shot("holidays-refused")

    page.get_by_test_id("enter-year").locator("textarea[name=text]").fill(NOTICE)
    page.get_by_test_id("enter-year").get_by_role("button", name="保存该年").click()
    expect(page.get_by_test_id("saved")).to_contain_text("2027 年节假日已保存")
    row = page.locator('tr[data-year="2027"]')
    expect(row).to_have_attribute("data-source", "entered")
    expect(row).to_contain_text("系统管理员")
    expect(row).to_contain_text("国办发明电〔2026〕示例")
    expect(page.locator("#h-source")).to_have_value("国办发明电〔2026〕示例")  # shown to edit
    shot("holidays-saved")
    page.context.clear_cookies()

    # The case now counts 元旦 (Friday 2027-01-01) as a holiday: one working day later, no
    # warning.
    sign_in(page, "ho.complaints")
    page.goto(case)
    expect(page.get_by_test_id("deadline")).to_contain_text("2027-01-19")
    expect(page.get_by_test_id("calendar-guess")).to_have_count(0)
    shot("holidays-case-entered")
