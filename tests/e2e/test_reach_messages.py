"""End-to-end: a waiting customer asks for text messages on a 390 px phone, and the lobby
manager reads "your turn is near" on the customer-messages page (the simulated SMS centre);
the customer replies TD, and the consents page shows every purpose withdrawn by that reply.

Screenshots: reach-status-alerts.png, reach-status-alerts-on.png, reach-messages.png,
reach-consents-td.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database, utcnow
from manyi.demo import DEMO_PASSWORD
from manyi.reach import delivery, queue_alerts, replies
from manyi.reach.adapters.gateway import Channel
from manyi.reach.adapters.simulated import SimulatedGateway
from tests.e2e.conftest import sign_in
from tests.web_helpers import CSRF_RE

pytestmark = pytest.mark.e2e
KIOSK = {"Authorization": "Bearer mdt_demo-zgc-kiosk"}
ZONE = dt.timezone(dt.timedelta(hours=8))


def _worker_round(url: str, reply: tuple[str, str] | None = None) -> None:
    """What `manyi worker` does each round for customer reach, with the simulated gateway;
    `reply`: (number, text) a customer sends the bank's number before the round."""
    database = Database(url)
    try:
        now = utcnow()
        queue_alerts.watch_pass(database, ZONE, now)
        sms = SimulatedGateway(Channel.SMS)
        if reply is not None:
            sms.reply(*reply)
        gateway = {Channel.SMS: sms}
        delivery.deliver_due(database, gateway, now)
        delivery.record_receipts(database, gateway, now)
        replies.record_replies(database, gateway, now)
    finally:
        database.dispose()


def test_a_waiting_customer_gets_your_turn_is_near(
    screen: Callable[..., BrowserContext],
    base_url: str,
    e2e_database_url: str,
    screenshots: Path,
) -> None:
    with httpx.Client(base_url=base_url) as http:
        # A teller opens the fast-lane counter, so the queue has an estimate to speak of.
        csrf = CSRF_RE.search(http.get("/signin").text)
        assert csrf
        signed = http.post(
            "/signin",
            data={"username": "zgc.teller1", "password": DEMO_PASSWORD, "csrf_token": csrf[1]},
        )
        assert signed.status_code == 303, signed.text
        token = CSRF_RE.search(http.get("/account/password").text)
        assert token
        opened = http.post(
            "/api/v1/lobby/outlets/BJ-HD-ZGC/counters/2/open", headers={"X-CSRF-Token": token[1]}
        )
        assert opened.status_code == 200, opened.text
        issued = http.post("/device/api/v1/lobby/tickets", json={"service": "K"}, headers=KIOSK)
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    token = ticket["status_api"].rsplit("/", 1)[-1]

    phone = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"/t/{token}")
    phone.get_by_label("快轮到我时短信提醒我").fill("138 1234 5678")
    phone.get_by_role("button", name="短信提醒我").click()
    # Not agreed: refused on the page, the number kept in the field.
    expect(phone.locator("[data-alerts-error]")).to_have_text("请勾选同意接收短信")
    expect(phone.get_by_label("快轮到我时短信提醒我")).to_have_value("138 1234 5678")
    phone.get_by_label("我同意本次办理期间用此号码接收排队短信").check()
    phone.screenshot(path=str(screenshots / "reach-status-alerts.png"), full_page=True)
    phone.get_by_role("button", name="短信提醒我").click()
    expect(phone.locator("[data-alerts-on]")).to_contain_text("快轮到您和叫到您时")
    phone.screenshot(path=str(screenshots / "reach-status-alerts-on.png"), full_page=True)

    _worker_round(e2e_database_url)

    staff = screen(1440, 900).new_page()
    sign_in(staff, "zgc.lobby")
    staff.get_by_role("navigation").get_by_role("link", name="客户消息").click()
    row = staff.locator('tr[data-kind="turn_near"]').first
    expect(row.locator('[data-testid="text"]')).to_contain_text(f"您的号码{ticket['number']}")
    expect(row).to_contain_text("*******5678")
    expect(row).to_contain_text("已送达")
    expect(staff.locator("body")).not_to_contain_text("13812345678")
    staff.screenshot(path=str(screenshots / "reach-messages.png"), full_page=True)

    # The customer replies TD to the text: every purpose is withdrawn, and staff see why.
    _worker_round(e2e_database_url, reply=("13812345678", "ＴＤ"))
    staff.get_by_role("link", name="客户授权").first.click()
    staff.get_by_label("完整手机号").fill("13812345678")
    staff.get_by_role("button", name="查询").click()
    consents = staff.locator('[data-testid="consents"]')
    expect(consents.locator('tr[data-purpose="queue"]')).to_contain_text("短信回复退订")
    expect(consents.locator('tr[data-purpose="queue"]')).to_contain_text("撤回")
    expect(consents.locator("tbody tr")).to_have_count(5)
    expect(consents).not_to_contain_text("已同意")
    staff.screenshot(path=str(screenshots / "reach-consents-td.png"), full_page=True)
