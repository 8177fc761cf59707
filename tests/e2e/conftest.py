"""A real manyi server on the demo bank, and a headless Chromium to drive it.

The server runs with uvicorn in a background thread on a free port (see
`tests.live_server`), over a
copy of a migrated SQLite database seeded with `manyi.demo.seed`. Playwright
drives Debian's Chromium (never a downloaded browser). Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from manyi import demo
from manyi.config import load_settings
from manyi.db import Database
from manyi.web.app import create_app
from tests.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def e2e_database_url(
    _fast_password_hashing: None,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    target = tmp_path_factory.mktemp("e2e") / "manyi.sqlite3"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    database = Database(url)
    try:
        with database.session() as session:
            demo.seed(session)
    finally:
        database.dispose()
    return url


@pytest.fixture(scope="session")
def base_url(e2e_database_url: str) -> Iterator[str]:
    database = Database(e2e_database_url)
    settings = load_settings(database_url=e2e_database_url, secret_key="e2e-secret-" + "x" * 32)
    app = create_app(settings, database)
    try:
        with serve(app) as url:
            yield url
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screen(browser: Browser, base_url: str) -> Iterator[Callable[..., BrowserContext]]:
    """screen(width, height, **options) opens a browser context of that size (closed after)."""
    opened: list[BrowserContext] = []

    def open_context(width: int, height: int, **options: Any) -> BrowserContext:
        ctx = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            locale="zh-CN",
            **options,
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        opened.append(ctx)
        return ctx

    yield open_context
    for ctx in opened:
        ctx.close()


def device_secret(database_url: str, outlet_code: str, kind: str, name: str) -> str:
    """A new device token of `kind` for the outlet (the catalogue seeded for the counter)."""
    from manyi.counter import catalogue_store
    from manyi.org import device_tokens
    from manyi.org.tables import Unit
    from tests.conftest import SYSTEM

    database = Database(database_url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session)  # adds only what is missing
            outlet = session.query(Unit).filter_by(code=outlet_code).one()
            _, secret = device_tokens.issue_token(
                session, SYSTEM, outlet_id=outlet.id, kind=kind, name=name, valid_days=1
            )
            return secret
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def shot(page: Page, screenshots: Path) -> Callable[[str], Path]:
    """shot("name") saves a full-page screenshot as test-artifacts/screenshots/name.png."""

    def take(name: str) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
