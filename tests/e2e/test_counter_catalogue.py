"""End-to-end: a head-office service manager edits the catalogue and reads the measures.

Real Chromium on the demo bank: the catalogue list, a refused edit (bad JSON, with its line
and column, the text kept), a published version, the measures page after one bundle ran
at 中关村 today. Screenshots: catalogue-list.png, catalogue-edit.png, counter-measures.png.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from manyi.counter import bundles, catalogue_store, prefill, running
from manyi.counter.access import Clerk
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.registry import DEMO_CORE_SEED
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.demo import customers
from manyi.db import Database
from manyi.org.tables import Staff
from tests.e2e.conftest import E2E_NOW, sign_in

pytestmark = pytest.mark.e2e
Shot = Callable[[str], Path]
OUTLET = "BJ-HD-ZGC"  # 中关村营业室


def run_one_bundle(url: str) -> None:
    """A withdrawal, a transfer and a bill payment for 张伟 at 中关村 on one form, opened
    six minutes ago and run just now."""
    key = SessionKey.generate()
    core = SimulatedCore(key, seed=DEMO_CORE_SEED)
    accounts = core.seed_demo()
    person = next(c for c in customers() if c.short == "zhang_wei")
    values = {
        "customer_name": person.name,
        "id_type": "resident_id",
        "id_number": person.id_number,
        "account_number": person.card,
        "item1.amount": "200",
        "item1.currency": "CNY",
        "item2.amount": "500",
        "item2.currency": "CNY",
        "item2.payee_name": "刘洋",
        "item2.payee_account": accounts["liu_yang"][0],
        "item2.payee_bank": "满意银行",
        "item3.amount": "60",
        "item3.currency": "CNY",
        "item3.bill_type": "gas",
        "item3.bill_account": "G123456",
    }
    opened = E2E_NOW - dt.timedelta(minutes=6, seconds=20)  # served in the module's morning
    database = Database(url)
    try:
        with database.session() as session:
            catalogue_store.seed_catalogue(session)
            codes = ["withdraw", "transfer", "bill_pay"]
            code = prefill.submit_prefill(session, OUTLET, codes, values, opened).code
        with database.session() as session:
            staff = session.scalars(select(Staff).where(Staff.username == "zgc.teller1")).one()
            teller = Clerk.of(staff)
            reference = bundles.open_bundle(session, teller, opened, code=code).reference
            bundles.confirm_by_customer(session, teller, reference, opened)
            pad = SimulatedPinPad(key)
            pad.customer_types(person.pin)
            running.run(session, teller, reference, E2E_NOW, pin_pad=pad, core=core)
    finally:
        database.dispose()


def test_a_service_manager_edits_the_catalogue_and_reads_the_measures(
    page: Page, shot: Shot, e2e_database_url: str
) -> None:
    run_one_bundle(e2e_database_url)
    sign_in(page, "ho.service")
    page.get_by_role("navigation").get_by_role("link", name="交易目录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("交易目录")
    catalogue = page.get_by_test_id("catalogue")
    expect(catalogue.locator("tbody tr")).to_have_count(16)
    expect(catalogue.locator('tr[data-code="withdraw"]')).to_contain_text("金额 ≥ 50000 → 主管授权")
    shot("catalogue-list")

    page.get_by_test_id("fields-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("字段字典")
    expect(page.locator('tr[data-field="id_number"]')).to_contain_text("GB 11643")
    page.go_back()

    catalogue.get_by_role("link", name="生活缴费").click()
    expect(page).to_have_url(re.compile(r"/counter/catalogue/bill_pay$"))
    editor = page.locator("#document")
    document = json.loads(editor.input_value())
    assert document["x-manyi"]["code"] == "bill_pay"

    broken = editor.input_value().replace('"type": "object",', '"type": "object"', 1)
    editor.fill(broken)
    page.locator("#reason").fill("缴费单位说明更新")
    page.get_by_role("button", name=re.compile("发布第 \\d+ 版")).click()
    expect(page.get_by_test_id("error")).to_contain_text("JSON 格式错误，第")
    expect(editor).to_have_value(broken)
    editor.evaluate("el => el.scrollIntoView({block: 'center'})")
    shot("catalogue-edit")

    document["description"] = "Pay a utility bill from the customer's account."
    editor.fill(json.dumps(document, indent=2, ensure_ascii=False))
    page.get_by_role("button", name=re.compile("发布第 \\d+ 版")).click()
    expect(page.get_by_test_id("saved")).to_have_text(re.compile(r"第 \d+ 版已保存。"))
    expect(page.get_by_test_id("history")).to_contain_text("缴费单位说明更新")
    shot("catalogue-saved")

    page.get_by_role("navigation").get_by_role("link", name="柜面成效").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("柜面成效")
    total = page.get_by_test_id("measures-total")
    expect(total).to_contain_text("填单字段节省")
    # Other browser tests of the session run bundles at 中关村 too: the exact figures are
    # checked in tests/integration/test_counter_measures_pages.py.
    expect(total).to_contain_text(re.compile(r"\d+ / \d+"))
    card = page.get_by_test_id(f"outlet-{OUTLET}")
    expect(card).to_contain_text("中关村营业室")
    expect(card).to_contain_text(re.compile(r"少输密码\d+ 次"))
    expect(card).to_contain_text(re.compile(r"\d+ 分 \d+ 秒"))
    expect(page.get_by_test_id("rest")).to_contain_text("个网点当日没有柜面业务")
    shot("counter-measures")

    page.goto(f"/lobby/dashboard?outlet={OUTLET}")
    dashboard = page.get_by_test_id("counter-card")
    expect(dashboard).to_contain_text("柜面一次办（今日）")
    expect(dashboard).to_contain_text(re.compile(r"少输密码\d+ 次"))
    expect(page.get_by_test_id("counter-measures-link")).to_be_visible()
    shot("counter-dashboard-card")
