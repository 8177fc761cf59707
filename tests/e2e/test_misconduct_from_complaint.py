"""End-to-end: the Beijing branch's inspector reads a complaint about 刘洋 at 中关村, sees the
rectification task already opened from it, follows "立案 (违规)" to the new-case form prefilled
with the complaint's reference, day, account and the teller it names, and opens the case, whose
page shows the complaint's task too.

The complaint and its task are registered through their use cases on this module's demo bank
(tests/e2e/conftest.py) before the browser starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.tables import Staff, Unit
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import NewTask, Source
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _complaint_with_a_task(url: str, now: dt.datetime) -> tuple[int, str, int]:
    """A complaint naming 刘洋 (zgc.teller2) received yesterday, and a task opened from it."""
    database = Database(url)
    try:
        with database.session() as session:
            outlet = session.scalars(select(Unit).where(Unit.code == "BJ-HD-ZGC")).one()
            teller = session.scalars(select(Staff).where(Staff.username == "zgc.teller2")).one()
            issuer = session.scalars(select(Staff).where(Staff.username == "bj.inspector")).one()
            received = now - dt.timedelta(days=1)
            form = intake.ComplaintForm(
                intake="counter",
                subject="柜员态度恶劣，将材料扔出窗口",
                description="客户办理挂失时对等候时间提出异议，柜员与其争吵并将材料扔出窗口。",
                complainant_name="王五",
                complainant_phone="13812345678",
                business_code="savings",
                cause_code="service_quality.attitude",
                received_at=received,
                responsible_unit_id=outlet.id,
                named_staff_ids=[teller.id],
            )
            complaint = intake.register(
                session, system_caller("e2e"), form, received, registered_unit_id=outlet.id
            ).complaint
            rectification.open_task(
                session,
                staff_service.actor_of(issuer),
                NewTask(
                    source=Source.COMPLAINT,
                    source_ref=complaint.reference,
                    title="整改：柜面服务态度",
                    detail="",
                    unit_id=outlet.id,
                    owner_id=None,
                    evidence_required="服务规范培训记录",
                    due_days=5,
                ),
                now=now,
            )
            return complaint.id, complaint.reference, teller.id
    finally:
        database.dispose()


def test_a_misconduct_case_opened_from_a_complaint_page(
    page: Page,
    e2e_database_url: str,
    e2e_clock: dt.datetime,
    shot: Callable[[str], Path],
) -> None:
    complaint_id, reference, teller = _complaint_with_a_task(e2e_database_url, e2e_clock)
    sign_in(page, "bj.inspector")
    page.goto(f"/complaints/{complaint_id}")
    tasks = page.get_by_test_id("rectification-tasks")
    expect(tasks).to_contain_text("本案已开的整改任务")
    expect(tasks).to_contain_text("整改：柜面服务态度")
    expect(tasks).to_contain_text("未开始")
    shot("misconduct-links-01-complaint")

    with page.expect_navigation():
        page.get_by_test_id("misconduct").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("违规行为立案")
    expect(page.locator("#origin")).to_have_value("complaint")
    expect(page.locator("#origin_ref")).to_have_value(reference)
    expect(page.locator("#staff_id")).to_have_value(str(teller))
    expect(page.get_by_test_id("named")).to_contain_text("刘洋")
    expect(page.locator("#summary")).to_contain_text("柜员态度恶劣")
    page.locator("#severity").select_option("malignant")
    shot("misconduct-links-02-prefilled")

    with page.expect_navigation():
        page.get_by_role("button", name="立案").click()
    expect(page.get_by_test_id("state")).to_have_text("已报告")
    expect(page.locator("body")).to_contain_text(reference)
    expect(page.get_by_test_id("origin-task")).to_contain_text("整改：柜面服务态度")
    shot("misconduct-links-03-opened")
