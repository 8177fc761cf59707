"""End-to-end: the supervisors' authorisation screens in a real Chromium.

The demo bank's 中关村 teller zgc.teller2 raises three requests through the services; the
outlet's supervisor (zgc.supervisor) approves one locally, and the Beijing branch's remote
authorisation centre (bj.supervisor) claims the large withdrawal, checks it and approves.
Screenshots: test-artifacts/screenshots/authorise-local.png and authorise-remote.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from manyi.counter import authorisations as authorise
from manyi.counter import bundles, catalogue_store, prefill
from manyi.counter.access import Clerk
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.demo import customers, id_card
from manyi.db import Database
from manyi.org.tables import Staff
from tests.e2e.conftest import E2E_NOW, sign_in

pytestmark = pytest.mark.e2e
Shot = Callable[[str], Path]
OUTLET = "BJ-HD-ZGC"
TELLER = "zgc.teller2"


def raise_request(database: Database, short: str, items: Sequence[tuple[str, str]]) -> str:
    """Pre-fill, open, confirm, read the card and ask for authorisation: the reference."""
    person = next(c for c in customers() if c.short == short)
    values: dict[str, Any] = {
        "customer_name": person.name,
        "id_type": "resident_id",
        "id_number": person.id_number,
        "account_number": person.card,
    }
    for n, (_code, amount) in enumerate(items, 1):
        values |= {f"item{n}.amount": amount, f"item{n}.currency": "CNY"}
    now = E2E_NOW  # the module's clock starts here (tests/e2e/conftest.py)
    with database.session() as session:
        catalogue_store.seed_catalogue(session)  # adds only what is missing
        staff = session.scalar(select(Staff).where(Staff.username == TELLER))
        assert staff is not None
        teller = Clerk.of(staff)
        code = prefill.submit_prefill(session, OUTLET, [c for c, _ in items], values, now).code
        reference = bundles.open_bundle(session, teller, now, code=code).reference
        bundles.confirm_by_customer(session, teller, reference, now)
        reader = SimulatedIdCardReader()
        reader.place(id_card(short))
        bundles.check_identity(session, teller, reference, reader, now)
        authorise.request_authorisation(session, teller, reference, now)
    return str(reference)


@pytest.fixture
def requests(e2e_database_url: str) -> dict[str, str]:
    database = Database(e2e_database_url)
    try:
        return {
            "local": raise_request(database, "zhang_wei", [("withdraw", "60000")]),
            # 李秀英 is 65 or older: her withdrawal needs a supervisor whatever the amount.
            "elderly": raise_request(
                database, "li_xiuying", [("deposit", "1000"), ("withdraw", "8000")]
            ),
            "remote": raise_request(database, "zhang_wei", [("withdraw", "250000")]),
        }
    finally:
        database.dispose()


def test_supervisors_authorise_locally_and_at_the_remote_centre(
    page: Page, shot: Shot, requests: dict[str, str]
) -> None:
    sign_in(page, "zgc.supervisor")
    page.get_by_role("navigation").get_by_role("link", name="业务授权").click()
    expect(page).to_have_url(re.compile(r"/counter/authorisations$"))
    local = page.get_by_test_id("local")
    expect(local.get_by_role("heading", level=2)).to_contain_text("本网点待授权")
    elderly = local.locator(f'[data-reference="{requests["elderly"]}"]')
    expect(elderly).to_contain_text("老年客户（65 岁及以上） → 主管授权")
    expect(elderly.locator('[data-item="1"]')).to_contain_text("本笔无需授权")
    first = local.locator(f'[data-reference="{requests["local"]}"]')
    expect(first).to_contain_text("金额达到 50,000 及以上 → 主管授权")
    expect(first).to_contain_text("CNY 60,000.00")
    expect(page.get_by_test_id("remote")).to_have_count(0)
    shot("authorise-local")

    first.get_by_label("备注（选填）").fill("已核实取现用途")
    first.get_by_test_id("approve").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"业务包 {requests['local']} 已授权")
    expect(local.locator(f'[data-reference="{requests["local"]}"]')).to_have_count(0)
    local.get_by_role("link", name=requests["elderly"]).click()
    detail = page.get_by_test_id("request")
    expect(detail).to_have_attribute("data-state", "pending")
    expect(detail.get_by_test_id("values")).to_contain_text("330106********0243")
    shot("authorise-detail")
    detail.get_by_label("拒绝原因（必填）").fill("请客户本人到场确认")
    detail.get_by_test_id("reject").click()
    expect(page).to_have_url(re.compile(r"/counter/authorisations\?done=rejected"))
    expect(page.get_by_test_id("flash")).to_contain_text("已拒绝授权")

    page.context.clear_cookies()
    sign_in(page, "bj.supervisor")
    page.goto("/counter/authorisations")
    remote = page.get_by_test_id("remote")
    expect(remote.get_by_test_id("queue")).to_contain_text(requests["remote"])
    expect(remote.get_by_test_id("queue")).to_contain_text("中关村")
    remote.get_by_test_id("claim").click()
    held = page.get_by_test_id("held")
    expect(held).to_have_attribute("data-reference", requests["remote"])
    expect(held).to_contain_text("金额达到 200,000 及以上 → 远程授权中心")
    expect(held.get_by_test_id("values")).to_contain_text("张伟")
    expect(held.get_by_test_id("values")).to_contain_text("330106********0319")
    expect(page.get_by_test_id("queue")).to_contain_text("已被 董海燕 领取")
    shot("authorise-remote")

    held.get_by_test_id("approve").click()
    expect(page.get_by_test_id("flash")).to_contain_text(f"业务包 {requests['remote']} 已授权")
    expect(page.get_by_test_id("held")).to_have_count(0)
