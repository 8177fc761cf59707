"""End-to-end: booking an appointment on a 390 px phone, and checking it in at the kiosk, in
real Chromium. Screenshots: test-artifacts/screenshots/appointment-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from manyi.db import Database
from manyi.reach import appointment_rules, appointment_slots, appointments
from manyi.reach.domain.slots import Slot
from tests.appointment_helpers import code_in_outbox
from tests.conftest import SYSTEM
from tests.e2e.conftest import E2E_NOW, TIMEOUT_MS, device_secret, pair, same_clock, sign_in

pytestmark = pytest.mark.e2e
OUTLET = "SH-PD-LJZ"  # 陆家嘴 of this module's demo bank
PHONE = "13812345678"


def save(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"appointment-{name}.png"), full_page=True)


def phone_page(browser: Browser, base_url: str) -> Page:
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    return ctx.new_page()


def staff_page(browser: Browser, base_url: str, username: str) -> Page:
    """A staff member signed in on a desktop screen."""
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": 1440, "height": 900}, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    page = ctx.new_page()
    sign_in(page, username)
    return page


def test_booking_on_a_phone(
    browser: Browser, base_url: str, e2e_database_url: str, screenshots: Path
) -> None:
    page = phone_page(browser, base_url)
    page.goto(f"/appointments/{OUTLET}")
    expect(page.get_by_role("heading", name="您要办理什么业务？")).to_be_visible()
    save(page, screenshots, "1-service")
    page.locator("[data-service=A]").click()
    expect(page.get_by_role("heading", name="选择时间")).to_be_visible()
    # Today, Monday 10:00: the morning's slots say they have passed, the next hour's that
    # appointments are taken an hour ahead; none of them says "full".
    past = page.locator("[data-state=past]")
    expect(past.first).to_have_text(re.compile(r"09:00–09:30\s*已过"))
    expect(page.locator("[data-state=too_soon]").first).to_contain_text("需提前 60 分钟")
    save(page, screenshots, "2a-today")
    page.locator("[data-day='2026-12-01']").click()
    save(page, screenshots, "2-slots")
    page.locator("[data-slot^='2026-12-01T02:00']").click()
    expect(page.get_by_test_id("chosen-time")).to_have_text("2026-12-01 10:00")
    # A wrong number is refused with a clear message, and nothing is sent.
    page.locator("#phone").fill("12345")
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_test_id("error")).to_have_text("请填写 11 位中国大陆手机号码")
    save(page, screenshots, "3-bad-phone")
    page.locator("#phone").fill(PHONE)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_text("6 位验证码已发送至 138****5678。")).to_be_visible()
    code = code_in_outbox(Database(e2e_database_url), PHONE)  # the text the customer reads
    assert code is not None
    page.locator("#code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="确认预约").click()
    expect(page.get_by_test_id("error")).to_have_text("验证码不正确，请核对短信")
    save(page, screenshots, "4-wrong-code")
    page.locator("#code").fill(code)
    page.get_by_role("button", name="确认预约").click()
    expect(page.get_by_test_id("booked")).to_have_text("预约成功。")
    expect(page.get_by_test_id("booked-time")).to_have_text("12月1日 周二 10:00–10:30")
    expect(page.get_by_test_id("checkin-code")).to_have_text(re.compile(r"^\d{6}$"))
    save(page, screenshots, "5-booked")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows the phone's width
    page.context.close()


def test_check_in_at_the_kiosk(
    browser: Browser, base_url: str, e2e_database_url: str, screenshots: Path
) -> None:
    # A customer booked 11:30 today; this outlet opens check-in two hours ahead.
    code = _booked_today(e2e_database_url, OUTLET, "13900001111").appointment.checkin_code
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": 1080, "height": 1920}, locale="zh-CN", has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    kiosk = ctx.new_page()
    pair(kiosk, device_secret(e2e_database_url, OUTLET, "kiosk", "e2e appointment kiosk"))
    expect(kiosk).to_have_url(re.compile(r"/device/kiosk(\?.*)?$"))
    opener = kiosk.get_by_test_id("kiosk-appointment")
    expect(opener).to_be_visible()
    save(kiosk, screenshots, "6-kiosk-home")
    opener.click()
    # A wrong code: a clear message, no ticket.
    for digit in "000000" if code != "000000" else "111111":
        kiosk.locator(f"[data-key='{digit}']").click()
    kiosk.get_by_test_id("kiosk-appointment-submit").click()
    expect(kiosk.locator("[data-kappt-error]")).to_contain_text("本网点今日没有签到码为")
    save(kiosk, screenshots, "7-kiosk-wrong-code")
    kiosk.locator("[data-key='clear']").click()
    for digit in code:
        kiosk.locator(f"[data-key='{digit}']").click()
    kiosk.get_by_test_id("kiosk-appointment-submit").click()
    done = kiosk.get_by_test_id("kiosk-appointment-done")
    expect(done).to_be_visible()
    expect(kiosk.locator("[data-kappt-number]")).to_have_text(re.compile(r"^B\d{3}$"))
    expect(kiosk.locator("[data-kappt-note]")).to_have_text("预约时间 11:30，请留意叫号")
    save(kiosk, screenshots, "8-kiosk-checked-in")
    ctx.close()


def test_the_lobby_manager_sees_todays_appointments(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    # The kiosk test checked in 11:30 today; the dashboard card and the day's list show it.
    page = staff_page(browser, base_url, "ljz.lobby")
    page.goto(f"/lobby/dashboard?outlet={OUTLET}")
    card = page.get_by_test_id("appointments-card")
    expect(card).to_be_visible()
    expect(page.get_by_test_id("appt-in")).to_have_text("1")
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(screenshots / "appointment-9-dashboard-card.png"))
    page.get_by_test_id("appt-list-link").click()
    table = page.get_by_test_id("appointments-table")
    expect(table).to_contain_text("139****1111")
    expect(table).to_contain_text("已签到")
    save(page, screenshots, "10-staff-list")
    page.context.close()


def test_the_outlet_head_changes_the_rules_on_their_page(
    browser: Browser, base_url: str, e2e_database_url: str, screenshots: Path
) -> None:
    page = staff_page(browser, base_url, "ljz.head")
    page.goto(f"/lobby/appointments?outlet={OUTLET}")
    page.get_by_test_id("appt-rules-link").click()
    expect(page.get_by_role("heading", name=re.compile("^预约规则"))).to_be_visible()
    share = page.locator("#walk_in_share")
    expect(share).to_have_value("50")
    expect(page.locator("#walk_in_share-help")).to_contain_text("其余可预约")
    share.fill("40")
    page.get_by_test_id("save-rules").click()
    expect(page.get_by_test_id("saved")).to_have_text("规则已保存，预约页面即时生效。")
    expect(share).to_have_value("40")
    database = Database(e2e_database_url)
    with database.session() as session:
        assert appointment_slots.place(session, OUTLET, "A").rules.walk_in_share == 0.4
    # A share of all the spare capacity, and a word for the days ahead: refused beside each
    # field, what was typed kept, nothing saved.
    share.fill("100")
    page.locator("#horizon_days").fill("两周")
    page.get_by_test_id("save-rules").click()
    expect(page.get_by_test_id("error")).to_have_text("未保存：请更正下面标出的项目。")
    expect(page.get_by_test_id("error-horizon_days")).to_have_text("请填写整数")
    expect(page.get_by_test_id("error-walk_in_share")).to_have_text(
        "留给现场客户的比例须不小于 0 % 且小于 100 %"
    )
    expect(page.locator("#horizon_days")).to_have_value("两周")
    expect(share).to_have_value("100")
    save(page, screenshots, "16-rules-refused")
    with database.session() as session:
        assert appointment_slots.place(session, OUTLET, "A").rules.walk_in_share == 0.4
    database.dispose()
    page.context.close()


ZGC = "BJ-HD-ZGC"  # 中关村: the demo puts it at 39.98370, 116.31560 (WGS-84)


def _booked_today(e2e_database_url: str, outlet: str, phone: str) -> appointments.Booked:
    """A booking at 11:30 today at `outlet`, whose check-in opens two hours ahead."""
    database = Database(e2e_database_url)
    start = E2E_NOW + dt.timedelta(minutes=90)
    with database.session() as session:
        where = appointment_slots.place(session, outlet, "B")
        appointment_rules.save_rules(session, SYSTEM, where.outlet, {"early_minutes": 120}, E2E_NOW)
    with database.session() as session:
        where = appointment_slots.place(session, outlet, "B")
        free = next(
            s
            for s in appointment_slots.slots_for_day(session, where, start.date(), E2E_NOW).slots
            if s.start == start
        )
        booked = appointments.confirmed(
            session,
            where,
            Slot(free.start, free.end, free.capacity, free.booked),
            phone,
            "zh-CN",
            E2E_NOW,
        )
    database.dispose()
    return booked


def located_phone(
    browser: Browser, base_url: str, where: tuple[float, float] | None, *, allowed: bool = True
) -> Page:
    """A 390 px phone that gives `where` to the page (when the customer allows it)."""
    ctx = browser.new_context(
        base_url=base_url,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        has_touch=True,
        is_mobile=True,
        geolocation=None if where is None else {"latitude": where[0], "longitude": where[1]},
        permissions=["geolocation"] if allowed else [],
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
    return ctx.new_page()


def test_check_in_by_the_link_near_the_outlet(
    browser: Browser, base_url: str, e2e_database_url: str, screenshots: Path
) -> None:
    link = "/a/" + _booked_today(e2e_database_url, ZGC, "13900002222").token
    # At home, 1.26 km north of the outlet: refused with the distance, sent to the kiosk.
    far = located_phone(browser, base_url, (39.99500, 116.31560))
    violations: list[str] = []
    far.on("console", lambda m: violations.append(m.text) if "Content" in m.text else None)
    far.goto(link)
    expect(far.get_by_test_id("near-note")).to_have_text(
        "通过本链接签到须在网点 500 米范围内：手机会请求获取您的位置，仅用于本次签到。"
    )
    save(far, screenshots, "11-link-near-note")
    far.get_by_test_id("check-in").click()
    expect(far.get_by_test_id("error")).to_have_text(
        "您距离网点约 1257 米，链接签到须在 500 米以内。请到网点后用取号机签到。"
    )
    save(far, screenshots, "12-link-too-far")
    far.get_by_role("link", name="返回").click()
    expect(far.get_by_test_id("state")).to_have_text("已预约")  # nothing stored
    far.context.close()
    # The customer refuses to share the position: the kiosk, with the code.
    refused = located_phone(browser, base_url, None, allowed=False)
    refused.goto(link)
    refused.get_by_test_id("check-in").click()
    expect(refused.get_by_test_id("error")).to_contain_text("请到网点后用取号机签到")
    save(refused, screenshots, "13-link-no-position")
    refused.context.close()
    # In the outlet's lobby (about 80 m from its recorded point): checked in.
    near = located_phone(browser, base_url, (39.98440, 116.31590))
    near.goto(link)
    near.get_by_test_id("check-in").click()
    expect(near.get_by_test_id("state")).to_have_text("已签到")
    expect(near.get_by_test_id("ticket-number")).to_have_text(re.compile(r"^B\d{3}$"))
    save(near, screenshots, "14-link-checked-in")
    assert near.evaluate("document.documentElement.scrollWidth") <= 390
    near.context.close()
    assert violations == []


def test_the_outlets_position_on_its_admin_page(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    page = staff_page(browser, base_url, "admin")
    page.goto("/admin/units")
    page.get_by_role("link", name="中关村营业室").first.click()
    expect(page.get_by_test_id("latitude")).to_have_value("39.9837")
    page.get_by_test_id("latitude").fill("39.98x")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".has-error [data-testid=latitude]")).to_be_visible()
    expect(page.get_by_text("纬度须为 -90 到 90 之间的数")).to_be_visible()
    save(page, screenshots, "15-outlet-position-refused")
    page.get_by_test_id("latitude").fill("39.98371")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("latitude")).to_have_value("39.98371")
    page.context.close()
