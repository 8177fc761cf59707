"""End-to-end: prominent issues in the demo bank. The Beijing branch's complaint manager reads
the waiting-time category's monthly complaints against its target path (an ECharts line), sees
the week's emerging-issue alert at 海淀支行 with the cases behind it and proposes a prefilled
rectification task from it; the Haidian sub-branch's complaint manager decides a case, records
its verdict and root cause, and opens the root-cause task in the same step.

The history (waiting-time complaints a month apart, a spike of fee complaints last week, a case
under investigation) is registered through the use cases before the browser starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from manyi.complaints import handling, intake
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import detection, issues
from manyi.insight.domain.issues import DEMO_SET
from manyi.org.tables import Staff, Unit
from tests.e2e.conftest import sign_in, wait_until

pytestmark = pytest.mark.e2e


def _beijing(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour - 8, tzinfo=dt.UTC)


def _history(url: str, now: dt.datetime) -> int:
    """Complaints under categories at 中关村 (海淀支行); returns the case to decide."""
    database = Database(url)
    try:
        with database.session() as session:
            issues.seed(session, DEMO_SET)
            outlet = session.scalars(select(Unit).where(Unit.code == "BJ-HD-ZGC")).one()
            caller = system_caller("e2e")
            n = 0

            def file(code: str, received: dt.datetime, subject: str) -> int:
                nonlocal n
                n += 1
                form = intake.ComplaintForm(
                    intake="hotline",
                    subject=subject,
                    description="客户来电反映问题，要求处理。",
                    complainant_name="王五",
                    complainant_phone=f"138{n:08d}",
                    business_code="savings",
                    cause_code="service_quality.waiting",
                    received_at=received,
                    responsible_unit_id=outlet.id,
                )
                done = intake.register(session, caller, form, now, registered_unit_id=outlet.id)
                session.execute(
                    update(Complaint)
                    .where(Complaint.id == done.complaint.id)
                    .values(issue_code=code)
                )
                return done.complaint.id

            today = now.date()
            # Waiting time: 4 a month before the campaign (Oct-Dec 2025), then falling.
            for month, count in [(10, 4), (11, 4), (12, 4)]:
                for i in range(count):
                    file("waiting_time", _beijing(dt.date(2025, month, 3 + 5 * i)), "排队太久")
            for month in range(1, 12):
                count = max(0, 4 - month // 3)
                for i in range(count):
                    file("waiting_time", _beijing(dt.date(2026, month, 2 + 6 * i)), "排队太久")
            # Fees: four last week, none before.
            monday = today - dt.timedelta(days=today.weekday() + 7)
            for i in range(4):
                file("fees", _beijing(monday + dt.timedelta(days=i)), "未告知收取年费")
            case = file("waiting_time", now - dt.timedelta(days=1), "周末网点只开一个窗口")
            manager = session.scalars(select(Staff).where(Staff.username == "hd.complaints")).one()
            session.execute(
                update(Complaint).where(Complaint.id == case).values(handler_id=manager.id)
            )
            handling.start(session, Caller.of(manager), case, now)
        detection.scan(database, now)
        return case
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def case_id(e2e_database_url: str, e2e_clock: dt.datetime) -> int:
    return _history(e2e_database_url, e2e_clock)


def test_the_tracker_draws_a_category_against_its_target(
    page: Page, case_id: int, shot: Callable[[str], Path]
) -> None:
    sign_in(page, "bj.complaints")
    page.goto("/insight/issues")
    row = page.locator('tr[data-code="waiting_time"]')
    expect(row).to_contain_text("排队等候时间长")
    shot("prominent-01-tracker")
    with page.expect_navigation():
        row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("排队等候时间长")
    wait_until(page, "() => document.getElementById('ins-chart').dataset.drawn === '1'")
    expect(page.get_by_test_id("baseline")).to_have_text("4.0")
    expect(page.locator("#ins-chart canvas")).to_have_count(1)
    expect(page.get_by_test_id("new-task")).to_be_visible()
    shot("prominent-02-category-chart")


def test_an_alert_becomes_a_proposed_task(
    page: Page, case_id: int, shot: Callable[[str], Path]
) -> None:
    sign_in(page, "bj.complaints")
    page.goto("/insight/alerts")
    alert = page.get_by_test_id("alert").first
    expect(alert).to_contain_text("收费问题")
    expect(alert).to_contain_text("海淀")
    expect(alert.locator("tbody tr")).to_have_count(4)
    shot("prominent-03-alerts")
    with page.expect_navigation():
        alert.get_by_test_id("propose").click()
    expect(page.locator("#f-source")).to_have_value("alert")
    expect(page.locator("#f-ref")).to_have_value(page.locator("#f-ref").input_value())  # prefilled
    assert page.locator("#f-ref").input_value().endswith("issue:fees")
    assert "收费问题" in page.locator("#f-title").input_value()
    shot("prominent-04-proposed-task")
    with page.expect_navigation():
        page.get_by_test_id("open").click()
    expect(page.locator("body")).to_contain_text("收费问题")
    page.goto("/insight/alerts")
    expect(page.get_by_test_id("alert").first.get_by_test_id("alert-task")).to_be_visible()


def test_a_decision_opens_a_rectification_task(
    page: Page, case_id: int, shot: Callable[[str], Path]
) -> None:
    sign_in(page, "hd.complaints")
    page.goto(f"/complaints/{case_id}")
    page.locator("[data-action=decide] > summary").click()
    decide = page.locator("[data-action=decide]")
    decide.locator("#decision").fill("经核实属实，已向客户致歉，周末增开弹性窗口。")
    decide.locator("#reply_channel").select_option("phone")
    decide.get_by_test_id("verdict-upheld").check()
    decide.locator("#root_cause_kind").select_option("process")
    decide.locator("#root_cause").fill("周末排班未按客流预测配置窗口")
    decide.get_by_test_id("task-open").check()
    shot("prominent-05-decide-form")
    with page.expect_navigation():
        decide.get_by_role("button").click()
    expect(page.get_by_test_id("case")).to_have_attribute("data-state", "decided")
    expect(page.get_by_test_id("verdict")).to_have_text("成立")
    expect(page.get_by_test_id("root-cause-kind")).to_have_text("流程")
    tasks = page.get_by_test_id("rectification-tasks")
    expect(tasks).to_contain_text("投诉溯源整改（流程）")
    expect(page.get_by_test_id("rectification-ref")).to_contain_text("#")
    shot("prominent-06-decided-with-task")
    page.goto("/insight/issues/waiting_time")
    expect(page.get_by_test_id("tasks")).to_contain_text("投诉溯源整改（流程）")
