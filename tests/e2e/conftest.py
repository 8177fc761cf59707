"""A real manyi server on the demo bank, and a headless Chromium to drive it.

Each test module gets its own demo bank and server: a copy of a SQLite database migrated and
seeded with `manyi.demo.seed` once per pytest worker (seeding took 5–8 s, once for each of some
forty modules), served by uvicorn in a background thread on a free port (see
`tests.live_server`). Modules therefore never see each other's tickets, bundles or
complaints, and pytest-xdist may run them on any worker. The browser is shared by the session.

The demo bank is seeded on a clock starting at E2E_NOW, Monday 10:00 in Beijing. The module's
clock (server and browser alike) starts where that seeding ended, as if the module had just
seeded its own bank, and ticks: time_machine moves the server's, Playwright's clock the page's,
so no test depends on the hour it runs. Playwright drives Debian's Chromium (never a
downloaded browser).
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from manyi import demo
from manyi.config import load_settings
from manyi.counter.adapters import registry
from manyi.db import Database
from manyi.demo import DEMO_PASSWORD
from tests.conftest import FIXED_NOW
from tests.live_server import serve
from tests.web_helpers import app_for

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
# Assertions wait as long as actions: a loaded CI machine renders a PDF or a page slower.
expect.set_options(timeout=TIMEOUT_MS)
E2E_NOW = FIXED_NOW  # where each module's clock starts


@pytest.fixture(scope="session")
def seeded_demo(
    _fast_password_hashing: None,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dt.timedelta]:
    """The demo bank, seeded once for this worker's modules, and how long seeding took.

    The seed posts nothing to the core (it only reads the simulated core's demo accounts), so
    each module's own simulated core (`own_core`) matches a copy of it as it matched a bank the
    module seeded itself."""
    target = tmp_path_factory.mktemp("e2e-demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, target)
    database = Database(f"sqlite:///{target}")
    try:
        with time_machine.travel(E2E_NOW, tick=True):
            with database.session() as session:
                demo.seed(session)
            took = dt.datetime.now(dt.UTC) - E2E_NOW
    finally:
        database.dispose()
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file copied
    finally:
        connection.close()
    return target, took


@pytest.fixture(scope="module")
def e2e_clock(seeded_demo: tuple[Path, dt.timedelta]) -> Iterator[dt.datetime]:
    """The module's clock, for the server and the test alike: starts where the demo bank's
    seeding ended (E2E_NOW and the seconds it took), and ticks."""
    with time_machine.travel(E2E_NOW + seeded_demo[1], tick=True):
        yield E2E_NOW


@pytest.fixture(scope="module", autouse=True)
def own_core() -> Iterator[None]:
    """A simulated core for each module: bundle references restart at 1 in each module's bank
    and the core keeps its idempotency keys and its count of wrong PINs per card, so sharing
    one would refuse the next module's first bundle as a reused key."""
    registry.use(registry.simulated())
    yield
    registry.reset()


@pytest.fixture(scope="module")
def e2e_database_url(
    e2e_clock: dt.datetime,
    seeded_demo: tuple[Path, dt.timedelta],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """This module's demo bank (a fresh copy for each module)."""
    target = tmp_path_factory.mktemp("e2e") / "manyi.sqlite3"
    shutil.copyfile(seeded_demo[0], target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def base_url(e2e_database_url: str) -> Iterator[str]:
    """This module's server, on this module's demo bank."""
    database = Database(e2e_database_url)
    settings = load_settings(database_url=e2e_database_url, secret_key="e2e-secret-" + "x" * 32)
    app = app_for(settings, database)  # the worker's built app, on this module's bank
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


def same_clock(ctx: BrowserContext) -> None:
    """Start the pages' clock where the server's is now (the module's, see e2e_clock)."""
    ctx.clock.install(time=dt.datetime.now(dt.UTC))


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    same_clock(ctx)
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
        same_clock(ctx)
        opened.append(ctx)
        return ctx

    yield open_context
    for ctx in opened:
        ctx.close()


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto("/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def pair(page: Page, token: str, counter: int | None = None) -> None:
    """Pair the page as a device with its token (and counter), as a branch would."""
    page.goto("/device/pair")
    page.locator("#token").fill(token)
    if counter is not None:
        page.locator("#counter").fill(str(counter))
    with page.expect_navigation():
        page.get_by_role("button", name="配对").click()


READABLE_JS = """() => {
    const style = n => getComputedStyle(n);
    const visible = n => n.offsetParent !== null && style(n).visibility !== 'hidden'
        && !n.closest('.hp');
    const label = n => n.tagName + ': ' + (n.textContent || n.name || '').trim().slice(0, 20);
    const text = 'main p, main label, main li, main input, main textarea, main select, '
        + 'main button, main a, main .value';
    const targets = 'main button, main a.big, main label.big, main input, main select';
    const small = [...document.querySelectorAll(text)].filter(visible)
        .filter(n => n.type !== 'checkbox' && parseFloat(style(n).fontSize) < 20)
        .map(label);
    const tiny = [...document.querySelectorAll(targets)].filter(visible)
        .filter(n => !['hidden', 'checkbox'].includes(n.type) && !n.matches('.enhanced'))
        .filter(n => n.getBoundingClientRect().height < 44)
        .map(label);
    const fields = ['INPUT', 'SELECT', 'TEXTAREA'];
    const clipped = [...document.querySelectorAll('main *')].filter(visible)
        .filter(n => n.clientWidth > 0 && n.scrollWidth > n.clientWidth + 1)
        .filter(n => style(n).overflowX === 'visible' && !fields.includes(n.tagName))
        .map(label);
    const wide = document.documentElement.scrollWidth > window.innerWidth;
    return {wide, small, tiny, clipped};
}"""


def readable(page: Page) -> None:
    """Nothing wider than the phone; text and touch targets large enough for elderly eyes."""
    page.wait_for_load_state("load")  # measured with the stylesheets applied
    report: dict[str, Any] = page.evaluate(READABLE_JS)
    assert report == {"wide": False, "small": [], "tiny": [], "clipped": []}, report


def console_errors(page: Page) -> list[str]:
    """The errors the page logs to its console from now on (a chart that fails to draw, a
    script that throws): a test asserts the list stays empty."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return problems


def wait_until(page: Page, expression: str, arg: Any = None, timeout: float = 10_000) -> None:
    """Poll a JavaScript predicate until it holds.

    Playwright's `wait_for_function` evaluates a string predicate with `eval` inside the page,
    which manyi's Content-Security-Policy (no 'unsafe-eval') refuses whenever the predicate is
    not already true on the first try; `page.evaluate` runs over the DevTools protocol instead.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def device_secret(
    database_url: str, outlet_code: str, kind: str, name: str, counter: int | None = None
) -> str:
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
                session,
                SYSTEM,
                outlet_id=outlet.id,
                kind=kind,
                name=name,
                valid_days=1,
                counter=counter,
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


def draw_signature(page: Page, x: float = 80, y: float = 150, strokes: int = 30) -> None:
    """A customer signs on the signature pad's canvas: one zig-zag stroke with the mouse."""
    canvas = page.locator("canvas[data-canvas]")
    expect(canvas).to_be_visible()
    # The pad's script must be listening, or the stroke is lost (and the script's start-up
    # would blank it anyway).
    expect(page.locator("form[data-sign-form][data-ready]")).to_have_count(1)
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.down()
    for step in range(1, strokes):
        page.mouse.move(box["x"] + x + step * 12, box["y"] + y + (25 if step % 4 < 2 else -25))
    page.mouse.up()
    expect(page.locator("[data-sign-ok]")).to_be_enabled()
