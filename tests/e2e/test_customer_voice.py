"""End-to-end: the customer's voice beyond complaints (issue 19) in real Chromium.

- 中关村's lobby manager registers a letter praising 张伟 (`zgc.teller1`); the outlet's head
  sees the praise counted in 张伟's star explanation (the demo's five plus this one) and follows
  the link to the praise list.
- Beijing's complaint handler registers an opinion seen in online media about 中关村, reviews it
  and adopts it with a reply; the pages say it is outside the regulatory clock.
- A complaint closed at 中关村 was invited to the 回访 survey by the worker's scan; the
  customer answers it on a phone, and the case page shows the answer.

The module's demo bank gets the demo praise and the stars demo, and the closed complaint with
its invitation, and the prominent-issue categories.
Screenshots: test-artifacts/screenshots/voice-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from manyi.complaints import demo_praise, handling, intake, resolution
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import issues
from manyi.insight.domain.issues import DEMO_SET
from manyi.org.tables import Staff, Unit
from manyi.quality.survey_scan import scan
from manyi.quality.survey_tables import SurveyInvitation
from manyi.supervision import demo_stars
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
WORLD: dict[str, object] = {}


def closed_complaint(database: Database, now: dt.datetime) -> int:
    """A complaint about 中关村 phoned in two days ago, replied to and closed an hour ago."""
    with database.session() as session:
        outlet = session.scalars(select(Unit).where(Unit.code == OUTLET)).one()
        form = intake.ComplaintForm(
            intake="hotline",
            subject="周末排队时间过长",
            description="客户反映周六上午排队一个多小时，窗口开得太少。",
            complainant_name="赵六",
            complainant_phone="13912345678",
            business_code="savings.demand",
            cause_code="service_quality.waiting",
            responsible_unit_id=outlet.id,
            received_at=now - dt.timedelta(days=2),
        )
        registered = intake.register(
            session,
            system_caller("e2e"),
            form,
            now - dt.timedelta(days=2),
            registered_unit_id=outlet.id,
        )
        case = registered.complaint.id
    with database.session() as session:
        complaint = session.get_one(Complaint, case)
        handler = Caller.of(session.get_one(Staff, complaint.handler_id))
        at = now - dt.timedelta(hours=1)
        handling.start(session, handler, case, at)
        resolution.decide(
            session,
            handler,
            case,
            at,
            decision="已致歉，周六增开两个窗口。",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
        )
        resolution.close(session, handler, case, at, reason="accepted")
    with database.session() as session:  # the worker's job: the 回访 invitation
        scan(session, now, expiry_days=7)
    return case


@pytest.fixture(scope="module")
def e2e_database_url(e2e_database_url: str, e2e_clock: dt.datetime) -> str:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            demo_praise.seed(session, e2e_clock)
        with database.session() as session:
            demo_stars.seed(session, e2e_clock)
        with database.session() as session:  # the prominent-issue categories (insight's demo)
            issues.seed(session, DEMO_SET)
        case = closed_complaint(database, e2e_clock)
        with database.session() as session:
            invitation = session.scalars(
                select(SurveyInvitation).where(SurveyInvitation.visit_key == f"c:{case}")
            ).one()
            WORLD["case"], WORLD["token"] = case, invitation.token
            WORLD["outlet_id"] = session.scalars(select(Unit.id).where(Unit.code == OUTLET)).one()
            WORLD["zhang_wei"] = session.scalars(
                select(Staff.id).where(Staff.username == "zgc.teller1")
            ).one()
    finally:
        database.dispose()
    return e2e_database_url


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"voice-{name}.png"), full_page=True)


def test_praise_registered_counts_in_the_star_explanation(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    lobby = screen(1440, 900).new_page()
    sign_in(lobby, "zgc.lobby")
    lobby.get_by_role("navigation").get_by_role("link", name="表扬").click()
    expect(lobby.get_by_role("heading", name="表扬", exact=True)).to_be_visible()
    form = lobby.get_by_test_id("praise-form")
    form.locator("#staff_id").select_option(str(WORLD["zhang_wei"]))
    form.locator("#channel").select_option("letter")
    form.locator("#text").fill("客户来信感谢张伟帮助其父亲办理社保卡激活，耐心细致。")
    form.get_by_test_id("register-praise").click()
    expect(lobby.get_by_test_id("flash")).to_have_text("表扬已登记。")
    listed = lobby.get_by_test_id("praise-list")
    expect(listed.locator("tr", has_text="社保卡激活")).to_contain_text("表扬信")
    expect(listed.locator("tr", has_text="社保卡激活")).to_contain_text("张伟")
    save(lobby, screenshots, "praise")
    # A bad day is refused on the form, and nothing is stored.
    form.locator("#staff_id").select_option(str(WORLD["zhang_wei"]))
    form.locator("#received_on").fill("2027-01-01")
    form.locator("#text").fill("未来的表扬")
    form.get_by_test_id("register-praise").click()
    expect(lobby.get_by_test_id("error")).to_have_text("表扬日期晚于今天")
    expect(lobby.get_by_test_id("praise-list").locator("tr", has_text="未来的表扬")).to_have_count(
        0
    )

    # The outlet's head: 张伟's star explanation counts six praises (the demo's five and this).
    head = screen(1440, 900).new_page()
    sign_in(head, "zgc.head")
    head.goto(f"/supervision/stars?outlet={OUTLET}")
    row = head.locator("tr[data-staff='zgc.teller1']")
    row.locator("summary").click()
    praise_line = row.get_by_test_id("explanation").locator("[data-criterion=praise]")
    expect(praise_line).to_contain_text("客户表扬")
    expect(praise_line.locator("td").nth(1)).to_have_text("6")
    save(head, screenshots, "stars-praise")
    row.get_by_test_id("praise-link").click()
    expect(head.get_by_test_id("praise-list").locator("tr[data-praise]")).to_have_count(6)
    expect(head.get_by_test_id("praise-list")).to_contain_text("社保卡激活")


def test_an_opinion_from_online_media_is_reviewed_and_adopted(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    handler = screen(1440, 900).new_page()
    sign_in(handler, "bj.handler")
    handler.get_by_role("navigation").get_by_role("link", name="意见建议").click()
    expect(handler.get_by_test_id("no-clock")).to_contain_text("不计时限")
    handler.get_by_test_id("new-opinion").click()
    handler.locator("#source_kind").select_option("online_media")
    handler.locator("#text").fill("有网友在微博建议中关村网点周六上午多开窗口，老人排队太久。")
    handler.locator("#unit_id").select_option(str(WORLD["outlet_id"]))
    handler.locator("#appeal_code").select_option("improvement")
    handler.locator("#issue_code").select_option("waiting_time")
    # Online media without its link: refused, what was typed is kept.
    handler.get_by_test_id("register-opinion").click()
    expect(handler.get_by_test_id("error")).to_have_text("请填写链接，或座谈会名称和日期")
    expect(handler.locator("#text")).to_have_value(re.compile("周六上午多开窗口"))
    handler.locator("#source_ref").fill("https://weibo.example.com/post/20261129")
    save(handler, screenshots, "opinion-new")
    handler.get_by_test_id("register-opinion").click()
    expect(handler.get_by_test_id("state")).to_have_text("新登记")
    expect(handler.get_by_test_id("no-deadline")).to_have_text("无：意见建议不受监管时限约束")
    handler.get_by_test_id("step-review").click()
    expect(handler.get_by_test_id("state")).to_have_text("已研究")
    handler.locator("#reply").fill("感谢建议，中关村网点自12月起周六上午增开两个窗口。")
    handler.get_by_test_id("step-adopt").click()
    expect(handler.get_by_test_id("state")).to_have_text("已采纳")
    expect(handler.get_by_test_id("reply")).to_contain_text("增开两个窗口")
    save(handler, screenshots, "opinion-adopted")
    handler.goto("/insight/opinions?source_kind=online_media")
    row = handler.get_by_test_id("opinions").locator("tr[data-opinion]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已采纳")
    expect(row).to_contain_text("排队等候时间长")
    save(handler, screenshots, "opinions")


def test_the_case_page_shows_the_customers_answer_to_the_follow_up(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    staff = screen(1440, 900).new_page()
    sign_in(staff, "bj.complaints")
    staff.goto(f"/complaints/{WORLD['case']}")
    section = staff.get_by_test_id("follow-up")
    expect(section).to_have_attribute("data-state", "invited")
    expect(section).to_contain_text("尚未作答")

    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/s/{WORLD['token']}?via=message")
    expect(phone.get_by_role("heading", name="投诉处理回访")).to_be_visible()
    phone.locator("[data-question=csat] label", has_text="5").click()
    phone.locator("[data-question=resolved] label", has_text="已解决").click()
    phone.locator("textarea[name=comment]").fill("回复很及时，谢谢")
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("survey-message")).to_have_attribute("data-kind", "thanks")

    staff.reload()
    section = staff.get_by_test_id("follow-up")
    expect(section).to_have_attribute("data-state", "answered")
    expect(section.get_by_test_id("follow-up-csat")).to_have_text("5/5 · 非常满意")
    expect(section.get_by_test_id("follow-up-resolved")).to_have_text("已解决")
    expect(section).to_contain_text("回复很及时，谢谢")
    section.scroll_into_view_if_needed()
    save(staff, screenshots, "case-follow-up")
