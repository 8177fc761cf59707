"""End-to-end: the inspector's scorecard on a tablet held upright (768 × 1024) — start a visit
at 中关村, fail two items (one critical), pass the rest with one tap, see the server's live
score, upload the photo a failed item needs, submit, and turn the critical failure into a
rectification task in one step."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from manyi.db import Database
from manyi.supervision import demo_inspections
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def history(e2e_database_url: str) -> None:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            assert demo_inspections.seed(session, E2E_NOW) > 10
    finally:
        database.dispose()


def png(width: int = 96, height: int = 64) -> bytes:
    """A small real PNG (a grey picture), as a tablet camera would send a JPEG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes([150, 160, 170]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def choose(page: Page, code: str, outcome: str) -> None:
    page.get_by_test_id(f"item-{code}").locator(f"label.sc-{outcome}").click()


def test_the_scorecard_on_a_tablet(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(768, 1024, has_touch=True).new_page()
    problems = console_errors(page)
    sign_in(page, "ho.inspector")
    page.goto("/supervision/inspections")
    page.get_by_test_id("start-outlet").select_option("BJ-HD-ZGC")
    with page.expect_navigation():
        page.get_by_test_id("start-button").click()
    expect(page.get_by_test_id("scorecard")).to_contain_text("中关村")
    expect(page.locator("form[data-autosave][data-ready]")).to_have_count(1)

    choose(page, "A2", "failed")
    choose(page, "E1", "failed")
    page.get_by_test_id("item-A2").locator("textarea").fill("柜员未佩戴工号牌")
    page.locator("[data-all-pass]").click()
    wait_until(page, "() => !document.querySelector('#card').dataset.pending")
    expect(page.locator("[data-answered]")).to_have_text("18")
    expect(page.locator("[data-critical]")).to_have_text("A2")
    score = page.locator("[data-score]").inner_text()
    assert 0 < float(score) < 100

    # E1 (the hall) needs a photo when it fails: taken and uploaded from the item itself.
    with page.expect_navigation():  # chosen is uploaded
        page.get_by_test_id("file-E1").set_input_files(
            {"name": "hall.png", "mimeType": "image/png", "buffer": png()}
        )
    expect(page.get_by_test_id("photo-E1")).to_have_count(1)
    wait_until(page, "() => document.querySelector('[data-testid=photo-E1]').naturalWidth > 0")
    expect(page.get_by_test_id("item-A2").locator("textarea")).to_have_value("柜员未佩戴工号牌")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screenshots / "supervision-scorecard-photo.png"))  # at #item-E1
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "supervision-scorecard-tablet.png"))

    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("state")).to_have_text("已提交")
    expect(page.get_by_test_id("rectify-E1")).to_be_visible()
    with page.expect_navigation():
        page.get_by_test_id("rectify-A2").click()
    expect(page.get_by_test_id("task-A2")).to_contain_text("#")
    page.get_by_test_id("item-A2").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "supervision-scorecard-submitted.png"), full_page=False)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems, problems


def test_the_results_page_and_the_checklist_editor(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1280, 900).new_page()
    sign_in(page, "ho.service")
    page.goto("/supervision/inspections")
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("league").locator("tbody tr")).to_have_count(5)
    page.screenshot(path=str(screenshots / "supervision-inspection-results.png"), full_page=True)
    page.goto("/supervision/standards")
    expect(page.get_by_test_id("current-version")).to_contain_text("1")
    page.screenshot(path=str(screenshots / "supervision-standards.png"), full_page=True)
