"""End-to-end: a teller reads the lobby manager's page in "My notifications" and marks it read.

The app is the real one (`manyi.web.app.create_app`, served by tests/e2e/conftest.py on this
module's own demo bank); this module adds only the delivered messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.notify import delivery, service
from manyi.notify.channels import InAppChannel
from manyi.org import staff as staff_service
from manyi.org.tables import Staff, Unit
from manyi.web.i18n import LANG_COOKIE
from tests.e2e.conftest import E2E_NOW, sign_in

pytestmark = pytest.mark.e2e

Shot = Callable[[str], Path]


def _staff(session: Session, username: str) -> Staff:
    found = session.scalar(select(Staff).where(Staff.username == username))
    assert found is not None
    return found


def _post_messages(database: Database) -> None:
    now = E2E_NOW  # the module's clock starts here: the messages are there from the start
    with database.session() as session:
        outlet = session.scalar(select(Unit).where(Unit.code == "BJ-HD-ZGC"))
        assert outlet is not None
        lobby = staff_service.actor_of(_staff(session, "zgc.lobby"))
        teller, other = _staff(session, "zgc.teller1"), _staff(session, "zgc.teller2")
        service.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=teller.id,
            subject="Training on Friday",
            body="Counter training at 17:30 in the back office.",
            now=now,
            unit_id=outlet.id,
        )
        service.page_staff(
            session,
            lobby,
            unit=outlet,
            recipient_ids=[teller.id, other.id],
            message="窗口排队较长，请到 3 号窗口支援",
            now=now,
        )
    delivery.deliver_due(database, {"in_app": InAppChannel()}, now)


@pytest.fixture(scope="module")
def messages(e2e_database_url: str) -> None:
    database = Database(e2e_database_url)
    try:
        _post_messages(database)
    finally:
        database.dispose()


@pytest.mark.usefixtures("messages")
def test_teller_reads_a_page_and_marks_it_read(
    page: Page, context: BrowserContext, base_url: str, shot: Shot
) -> None:
    sign_in(page, "zgc.teller1")
    page.goto("/notifications")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot("notify-01-inbox-zh")

    context.add_cookies([{"name": LANG_COOKIE, "value": "en", "url": base_url}])
    page.goto("/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("My notifications")
    expect(page.get_by_test_id("unread-count")).to_have_text("2 unread")
    rows = page.get_by_test_id("message")
    expect(rows).to_have_count(2)
    paged = rows.nth(0)  # newest first
    expect(paged).to_contain_text("Second-line support needed at 中关村营业室")
    expect(paged).to_contain_text("窗口排队较长，请到 3 号窗口支援")
    expect(paged).to_contain_text("李静")  # the lobby manager who paged
    expect(paged.locator("strong")).to_have_count(1)  # unread reads bold
    expect(rows.nth(1)).to_contain_text("Training on Friday")
    expect(rows.nth(1)).to_contain_text("manyi")  # sent by manyi itself
    shot("notify-02-inbox-en")

    with page.expect_navigation():
        paged.get_by_role("button", name="Mark as read").click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(page.get_by_test_id("unread-count")).to_have_text("1 unread")
    paged = page.get_by_test_id("message").nth(0)
    expect(paged).to_have_attribute("data-unread", "false")
    expect(paged.get_by_role("button", name="Mark as read")).to_have_count(0)
    expect(paged.locator(".tag")).to_have_text("Read")
    expect(page.get_by_test_id("message").nth(1)).to_have_attribute("data-unread", "true")
    shot("notify-03-marked-read-en")
