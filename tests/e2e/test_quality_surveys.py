"""End-to-end: the customer's survey on a 390 px phone (normal and high contrast), answered
once; and the rating pad showing the visit's survey as a QR code after its one question.
Screenshots: test-artifacts/screenshots/survey-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database, utcnow
from manyi.lobby import counters, service
from manyi.org.tables import Unit
from manyi.quality import surveys
from tests.e2e.conftest import pair, readable, sign_in, wait_until
from tests.lobby_helpers import operator

pytestmark = pytest.mark.e2e
OUTLET = "BJ-HD-ZGC"
PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def invitation(url: str, key: str) -> str:
    database = Database(url)
    try:
        with database.session() as session:
            outlet = session.query(Unit).filter_by(code=OUTLET).one()
            made = surveys.invite(
                session,
                surveys.Visit("ticket", key, outlet.id, outlet.path, None, "A"),
                utcnow(),
                7,
            )
            assert made is not None
            return made.token
    finally:
        database.dispose()


def test_the_survey_on_a_phone_normal_and_high_contrast(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    token = invitation(e2e_database_url, "e2e:phone")
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/s/{token}?via=status_page")
    expect(phone.get_by_role("heading", name="请评价本次服务")).to_be_visible()
    expect(phone.get_by_test_id("outlet")).to_contain_text("中关村")
    readable(phone)
    phone.screenshot(path=str(screenshots / "survey-phone.png"), full_page=True)

    phone.get_by_test_id("contrast").click()
    expect(phone.get_by_test_id("survey-screen")).to_have_class(re.compile(r"\bhc\b"))
    readable(phone)
    # Unanswered: the page says which question, and keeps what was chosen.
    phone.locator("[data-question=csat] label", has_text="4").click()
    phone.get_by_test_id("send").click()
    expect(phone.locator("[data-question=nps] .error")).to_have_text("请回答这个问题。")
    expect(phone.locator("[data-question=csat] input[value='4']")).to_be_checked()
    phone.screenshot(path=str(screenshots / "survey-phone-high-contrast.png"), full_page=True)

    phone.locator("[data-question=nps] label", has_text="9").first.click()
    phone.locator("textarea[name=comment]").fill("柜员很耐心")
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("survey-message")).to_have_attribute("data-kind", "thanks")
    phone.screenshot(path=str(screenshots / "survey-phone-thanks.png"), full_page=True)
    # The contrast choice is remembered; the link is answered once.
    phone.goto(f"/s/{token}")
    expect(phone.get_by_test_id("survey-screen")).to_have_class(re.compile(r"\bhc\b"))
    expect(phone.get_by_test_id("survey-message")).to_have_attribute("data-kind", "answered")


def test_the_rating_pad_shows_the_survey_qr_after_rating(
    screen: Callable[..., BrowserContext], e2e_database_url: str, screenshots: Path
) -> None:
    pad = screen(1280, 800).new_page()
    pair(pad, "mdt_demo-zgc-rating-3", counter=3)
    expect(pad).to_have_url(re.compile(r"/device/rating/3$"))
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            teller = operator(session, "zgc.teller1")
            lobby = operator(session, "zgc.lobby")
            token = service.issue_ticket(session, lobby, OUTLET, "A", utcnow()).public_token
            counters.open_counter(session, teller, OUTLET, 3, utcnow())
            counters.call_next(session, teller, OUTLET, 3, utcnow())
            counters.start(session, teller, OUTLET, 3, utcnow())
            counters.complete(session, teller, OUTLET, 3, utcnow())
    finally:
        database.dispose()
    pad.reload()  # completed outside the server: the pad asks from its state on loading
    expect(pad.locator("[data-view=ask]")).to_be_visible()
    pad.locator("[data-score=very_satisfied]").click()
    survey = pad.locator("[data-survey]")
    expect(survey).to_be_visible()
    expect(pad.locator("[data-survey-qr]")).to_have_attribute(
        "src", re.compile(r"^/s/[\w-]+/qr\.svg\?via=rating_pad$")
    )
    wait_until(pad, "document.querySelector('[data-survey-qr]').naturalWidth > 0")
    pad.screenshot(path=str(screenshots / "survey-rating-pad-qr.png"))

    # The customer's status page on a phone offers the same survey, and it opens.
    phone = screen(390, 844, **PHONE).new_page()
    phone.goto(f"/t/{token}")
    link = phone.locator("[data-survey-link]")
    expect(link).to_be_visible()
    expect(link).to_have_text("请评价本次服务")
    phone.screenshot(path=str(screenshots / "survey-status-page-link.png"), full_page=True)
    link.click()
    expect(phone.get_by_role("heading", name="请评价本次服务")).to_be_visible()
    expect(phone).to_have_url(re.compile(r"/s/[\w-]+\?via=status_page$"))


def test_head_office_edits_a_survey_and_the_inspector_sees_flags(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "ho.service")
    page.get_by_role("navigation").get_by_role("link", name="问卷").click()
    expect(page.get_by_role("heading", name="问卷", exact=True)).to_be_visible()
    editor = page.locator("[data-trigger=complaint] textarea")
    editor.fill(
        '{"trigger": "complaint", "title_zh": "回访", "title_en": "Follow-up", "questions": []}'
    )
    page.locator("[data-trigger=complaint] button[type=submit]").click()
    expect(page.get_by_test_id("error")).to_have_text("questions：至少需要一个问题")
    page.screenshot(path=str(screenshots / "survey-admin-error.png"), full_page=False)
    inspector = screen(1440, 900).new_page()
    sign_in(inspector, "ho.inspector")
    inspector.get_by_role("navigation").get_by_role("link", name="可疑评价").click()
    expect(inspector.get_by_test_id("flags")).to_be_visible()
    inspector.screenshot(path=str(screenshots / "survey-flags.png"))
