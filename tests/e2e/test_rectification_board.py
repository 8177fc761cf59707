"""End-to-end: the rectification board at a branch, down the tree to an outlet; a task opened
from the form, started and evidenced (a photo) by the outlet's head, verified and closed by the
inspector. Screenshots: test-artifacts/screenshots/rectification-*.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from manyi.db import Database
from manyi.supervision import demo_rect
from tests.e2e.conftest import E2E_NOW, sign_in
from tests.rect_helpers import PNG

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def tasks(e2e_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            var_dir = tmp_path_factory.mktemp("rect-var")
            assert demo_rect.seed(session, E2E_NOW, var_dir) == len(demo_rect.TASKS)
    finally:
        database.dispose()


def test_the_board_and_a_task_from_open_to_closed(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    inspector = screen(1280, 900).new_page()
    sign_in(inspector, "bj.inspector")
    inspector.locator("nav [data-nav=rectification]").click()
    board = inspector.get_by_test_id("board")
    expect(board.locator("tr[data-unit=BJ-HD]")).to_be_visible()
    expect(inspector.get_by_test_id("totals").locator("[data-figure=overdue]")).not_to_have_text(
        "0"
    )
    board.locator("tr[data-unit=BJ-HD] td").nth(1).click()  # a click on the row goes down
    expect(inspector.get_by_test_id("trail")).to_contain_text("海淀")
    expect(board.locator("tr[data-unit=BJ-HD-ZGC]")).to_be_visible()
    inspector.screenshot(path=str(screenshots / "rectification-board.png"), full_page=True)

    inspector.get_by_test_id("new-task").click()
    form = inspector.get_by_test_id("new-form")
    form.locator("#f-unit").select_option(label="BJ-HD-ZGC · 中关村营业室")
    form.locator("#f-title").fill("填单台缺少老花镜")
    form.locator("#f-evidence").fill("配备老花镜后的填单台照片")
    form.get_by_test_id("open").click()
    expect(inspector.get_by_test_id("state")).to_have_text("待整改")
    task_url = inspector.url.split("?")[0]

    head = screen(1280, 900).new_page()
    sign_in(head, "zgc.head")
    head.goto(task_url)
    expect(head.get_by_test_id("evidence-required")).to_contain_text("老花镜")
    head.locator("[data-action=start]").click()
    expect(head.get_by_test_id("state")).to_have_text("整改中")
    head.locator("#rt-note").fill("已在两个填单台各配备两副老花镜")
    head.locator("#rt-files").set_input_files(
        files=[{"name": "填单台.png", "mimeType": "image/png", "buffer": PNG}]
    )
    head.locator("[data-action=submit]").click()
    expect(head.get_by_test_id("state")).to_have_text("已提交待验证")
    expect(head.get_by_test_id("submissions")).to_contain_text("填单台.png")
    head.screenshot(path=str(screenshots / "rectification-submitted.png"), full_page=True)

    inspector.goto(task_url)
    inspector.locator("[data-action=verify]").click()
    expect(inspector.get_by_test_id("state")).to_have_text("已验证")
    inspector.locator("[data-action=close]").click()
    expect(inspector.get_by_test_id("state")).to_have_text("已关闭")
    expect(inspector.get_by_test_id("timeline").locator("li")).to_have_count(5)
    inspector.screenshot(path=str(screenshots / "rectification-closed.png"), full_page=True)
