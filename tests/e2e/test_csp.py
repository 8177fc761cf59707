"""End-to-end: every screen works under the Content-Security-Policy (no inline script), in
real Chromium, and the browser reports no violation (issue 16 #6)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.conftest import pair, sign_in

pytestmark = pytest.mark.e2e


def watch(page: Page) -> list[str]:
    violations: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", seen)
    return violations


def test_screens_run_with_no_csp_violation(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    staff = screen(1440, 900).new_page()
    violations = watch(staff)
    sign_in(staff, "admin")
    for path in ("/", "/admin/devices", "/admin/audit", "/complaints", "/lobby/dashboard"):
        staff.goto(path)
        expect(staff.locator("main")).to_be_visible()
    # A form that asks first (was an inline onsubmit): cancelling keeps the token.
    staff.goto("/admin/devices")
    staff.on("dialog", lambda dialog: dialog.dismiss())
    revoke = staff.locator("form[data-confirm] button").first
    if revoke.count():
        revoke.click()
        expect(staff).to_have_url(re.compile(r"/admin/devices$"))
    # The API reference, from local files and a script file.
    staff.goto("/docs")
    expect(staff.locator(".swagger-ui .opblock").first).to_be_visible()
    staff.screenshot(path=str(screenshots / "csp-api-docs.png"))
    kiosk = screen(1080, 1920).new_page()
    violations += watch(kiosk)
    pair(kiosk, "mdt_demo-zgc-kiosk")
    expect(kiosk.get_by_role("heading", name="请选择您要办理的业务")).to_be_visible()
    phone = screen(390, 844, is_mobile=True, has_touch=True).new_page()
    violations += watch(phone)
    phone.goto("/complaint")
    expect(phone.get_by_role("heading", name="我要投诉")).to_be_visible()
    assert violations == []
