"""End-to-end: a teller reads the lobby manager's page in "My notifications" and marks it read.

The server here is this module's own (it overrides `base_url`): a demo bank
with a few delivered messages, and the notify routes added when the app does
not have them yet.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader, TemplateNotFound
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import demo
from manyi.config import load_settings
from manyi.db import Database, utcnow
from manyi.demo import DEMO_PASSWORD
from manyi.notify import delivery, service
from manyi.notify import views as notify_views
from manyi.notify.channels import InAppChannel
from manyi.org import staff as staff_service
from manyi.org.tables import Staff, Unit
from manyi.web.app import api_routes, create_app
from manyi.web.i18n import LANG_COOKIE
from manyi.web.templating import templates
from tests.live_server import serve

pytestmark = pytest.mark.e2e

Shot = Callable[[str], Path]
NOTIFY_TEMPLATES = Path(notify_views.__file__).parent / "templates"


def _staff(session: Session, username: str) -> Staff:
    found = session.scalar(select(Staff).where(Staff.username == username))
    assert found is not None
    return found


def _post_messages(database: Database) -> None:
    now = utcnow()
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


def sign_in(page: Page, username: str) -> None:
    page.goto("/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("button[type=submit]").click()


@pytest.fixture(scope="module")
def base_url(
    _fast_password_hashing: None, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    target = tmp_path_factory.mktemp("e2e-notify") / "manyi.sqlite3"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    database = Database(url)
    with pytest.MonkeyPatch.context() as patch:
        try:
            templates.env.get_template("notifications.html")
        except TemplateNotFound:
            shared = templates.env.loader
            assert shared is not None
            loader = ChoiceLoader([shared, FileSystemLoader(str(NOTIFY_TEMPLATES))])
            patch.setattr(templates.env, "loader", loader)
        try:
            with database.session() as session:
                demo.seed(session)
            _post_messages(database)
            settings = load_settings(database_url=url, secret_key="e2e-secret-" + "x" * 32)
            app = create_app(settings, database)
            if not any(route.path == "/notifications" for route in api_routes(app.routes)):
                app.include_router(notify_views.router)
            with serve(app) as served:
                yield served
        finally:
            database.dispose()


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
