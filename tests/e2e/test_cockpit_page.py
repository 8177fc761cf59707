"""End-to-end: the cockpit at 1440 px on four weeks of lobby history at the demo's outlets, the
demo's year of satisfaction answers and its year of imported queue history (`manyi demo seed`'s
cockpit step), rolled up by the worker's pass — head office's year of trend, its
headline, the trend drawn by ECharts (served by manyi, no CSP violation), the league table
sorted and drilled down to an outlet; a branch head drills down to an outlet's counters; an
outlet head sees their outlet only."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from manyi.cockpit import demo as demo_cockpit
from manyi.config import load_settings
from manyi.db import Database
from manyi.lobby.demo_layout import OUTLETS
from manyi.lobby.tables import LobbyCounter, LobbyEventRow, LobbyService, LobbyTicket
from manyi.org.tables import Staff, Unit
from manyi.quality import demo as quality_demo
from manyi.quality import demo_pad
from tests.e2e.conftest import E2E_NOW, console_errors, sign_in

pytestmark = pytest.mark.e2e
TZ = "Asia/Shanghai"
# Mean waits in minutes: Wudaokou is the slow one, past the 15-minute target every day.
MEAN_WAIT = {"BJ-HD-ZGC": 6, "SH-PD-LJZ": 8, "BJ-HD-WDK": 24, "BJ-CY-WJ": 10, "SH-XH-XJH": 7}


def lobby_history(database: Database, days: int = 28, per_day: int = 24) -> int:
    """Finished tickets at the demo's outlets for the `days` days before today (Beijing),
    served in turn at the outlet's first two counters (open 08:50–15:30 Beijing time) by its
    tellers."""
    rng = random.Random(21)
    today = (E2E_NOW + dt.timedelta(hours=8)).date()
    added = 0
    with database.session() as session:
        for code in OUTLETS:
            outlet = session.scalars(select(Unit).where(Unit.code == code)).one()
            service = session.scalars(
                select(LobbyService).where(
                    LobbyService.outlet_id == outlet.id, LobbyService.code == "A"
                )
            ).one()
            counters = session.scalars(
                select(LobbyCounter.id)
                .where(LobbyCounter.outlet_id == outlet.id)
                .order_by(LobbyCounter.number)
                .limit(2)
            ).all()
            tellers = session.scalars(
                select(Staff.id).where(Staff.unit_id == outlet.id).order_by(Staff.id)
            ).all()
            for back in range(days, 0, -1):
                day = today - dt.timedelta(days=back)
                for c, counter in enumerate(counters):  # two counters, one teller at least
                    for kind, hour, minute in (
                        ("counter_opened", 0, 50),
                        ("counter_closed", 7, 30),
                    ):
                        at = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
                        teller = tellers[c % len(tellers)]
                        session.add(
                            LobbyEventRow(
                                outlet_id=outlet.id, kind=kind, at=at, counter_id=counter,
                                staff_id=teller, data={"teller_id": teller},
                            )
                        )  # fmt: skip
                for k in range(per_day):
                    issued = dt.datetime.combine(day, dt.time(1), dt.UTC) + dt.timedelta(
                        minutes=15 * k
                    )
                    called = issued + dt.timedelta(minutes=rng.expovariate(1 / MEAN_WAIT[code]))
                    finished = called + dt.timedelta(minutes=rng.uniform(3, 9))
                    outcome = "served" if rng.random() > 0.05 else "cancelled"
                    ticket = LobbyTicket(
                        outlet_id=outlet.id, local_day=day, prefix="H", seq=k + 1,
                        number=f"H{k + 1:03d}", service_id=service.id, service_code="A",
                        klass="normal", channel="kiosk", state="finished", outcome=outcome,
                        issued_at=issued, queued_at=issued, first_called_at=called,
                        last_called_at=called, started_at=called, finished_at=finished,
                        call_count=1, public_token=f"h{outlet.id}-{day:%m%d}-{k}",
                        counter_id=counters[k % 2], teller_id=tellers[k % 2 % len(tellers)],
                    )  # fmt: skip
                    session.add(ticket)
                    session.flush()
                    issued_event = LobbyEventRow(
                        outlet_id=outlet.id, kind="issued", at=issued, ticket_id=ticket.id
                    )
                    session.add(issued_event)
                    added += 1
    return added


@pytest.fixture(scope="module", autouse=True)
def history(e2e_database_url: str) -> None:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            quality_demo.seed(session, E2E_NOW)
            demo_pad.seed(session, E2E_NOW)
        assert lobby_history(database) == 5 * 28 * 24
        settings = load_settings(database_url=e2e_database_url, timezone=TZ)
        line = demo_cockpit.seed(database, settings, E2E_NOW)  # the year, then the pass
        assert "cockpit history: 1" in line, line  # a year: over a thousand outlet-days
    finally:
        database.dispose()


def test_head_office_reads_the_bank_and_drills_down(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "ho.service")
    page.goto("/cockpit")
    expect(page.get_by_role("heading", level=1)).to_contain_text("驾驶舱")
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_have_count(1)
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("card-wait")).to_contain_text("分钟")
    expect(page.get_by_test_id("card-satisfaction")).to_contain_text("%")
    expect(page.get_by_test_id("furthest")).to_contain_text("五道口")
    expect(page.get_by_test_id("alerts")).to_contain_text("五道口")
    page.screenshot(path=str(screenshots / "cockpit-head-office.png"), full_page=True)
    # Sorted by mean wait, slowest first: Beijing (with Wudaokou) above Shanghai.
    rows = page.get_by_test_id("league").locator("tbody tr")
    expect(rows.first).to_contain_text("北京")
    with page.expect_navigation():
        page.get_by_test_id("sort-wait_mean_s").click()  # ascending
    expect(rows.first).to_contain_text("上海")
    # Head office → Beijing → Haidian → Wudaokou, by the league table's links.
    for code, name in (("BJ", "北京"), ("BJ-HD", "海淀"), ("BJ-HD-WDK", "五道口")):
        with page.expect_navigation():
            page.get_by_test_id(f"league-{code}").get_by_role("link").click()
        expect(page.get_by_test_id("crumbs")).to_contain_text(name)
    expect(page.get_by_test_id("alerts")).to_contain_text("连续")
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "cockpit-outlet.png"), full_page=True)
    assert not problems, problems


def test_a_branch_head_drills_down_to_an_outlets_counters(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    problems = console_errors(page)
    sign_in(page, "bj.head")
    page.goto("/cockpit")
    expect(page.get_by_test_id("crumbs")).to_contain_text("北京")
    expect(page.get_by_test_id("crumbs")).not_to_contain_text("总行")
    # Beijing → Haidian → Wudaokou, by the league table's links.
    for code, name in (("BJ-HD", "海淀"), ("BJ-HD-WDK", "五道口")):
        with page.expect_navigation():
            page.get_by_test_id(f"league-{code}").get_by_role("link").click()
        expect(page.get_by_test_id("crumbs")).to_contain_text(name)
    counters = page.get_by_test_id("counters")
    expect(counters.locator("thead")).to_contain_text("开放时长（小时）")
    first = counters.locator("tbody tr").first
    expect(first).to_contain_text("1号窗口")
    expect(first).to_contain_text("林晨")  # Wudaokou's teller signed on and served there
    expect(first).to_contain_text("%")
    expect(page.get_by_test_id("tellers")).to_contain_text("林晨")
    counters.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "cockpit-branch-head-counters.png"), full_page=True)
    assert page.request.get("/cockpit?unit=SH-PD-LJZ").status == 404  # Shanghai's: not theirs
    assert not problems, problems


def test_head_office_sees_a_year(screen: Callable[..., BrowserContext], screenshots: Path) -> None:
    """The demo's imported year: the trend over twelve months, drawn."""
    page = screen(1440, 900).new_page()
    sign_in(page, "ho.service")
    yesterday = (E2E_NOW + dt.timedelta(hours=8)).date() - dt.timedelta(days=1)
    page.goto(f"/cockpit?from={yesterday - dt.timedelta(days=364)}&to={yesterday}")
    chart = page.get_by_test_id("trend-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    days = page.evaluate(
        "JSON.parse(document.getElementById('cockpit-data').textContent).days.length"
    )
    assert days >= 350, days  # a year but the holidays
    expect(page.get_by_test_id("card-wait")).to_contain_text("分钟")
    page.screenshot(path=str(screenshots / "cockpit-year.png"), full_page=True)


def test_an_outlet_head_sees_their_outlet_only(
    screen: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = screen(1440, 900).new_page()
    sign_in(page, "ljz.head")
    page.goto("/cockpit")
    expect(page.get_by_test_id("crumbs")).to_contain_text("陆家嘴")
    expect(page.get_by_test_id("crumbs")).not_to_contain_text("总行")
    expect(page.get_by_test_id("league")).to_have_count(0)
    assert page.request.get("/cockpit?unit=BJ-HD-WDK").status == 404
    page.screenshot(path=str(screenshots / "cockpit-branch-head.png"), full_page=True)
