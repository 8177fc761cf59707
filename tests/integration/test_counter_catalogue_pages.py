"""The catalogue editor's pages: the list, the dictionary, one type, publishing a version."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.counter import catalogue_store
from manyi.counter.domain.fields import DEF_PREFIX
from manyi.counter.tables import CounterBundleItem, CounterTransactionType
from manyi.db import Database
from tests.conftest import PASSWORD, Bank, add_staff
from tests.counter_helpers import (
    customer,
    make_sim,
    open_bundle,
    setup_counter,
    submit,
)
from tests.web_helpers import csrf_of, make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

TEXTAREA = re.compile(r'<textarea id="document"[^>]*>(.*?)</textarea>', re.S)


@pytest.fixture
def admin(db: Database, bank: Bank) -> TestClient:
    with db.session() as session:
        catalogue_store.seed_catalogue(session)
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    return client


def schema_of(db: Database, code: str) -> dict[str, Any]:
    with db.session() as session:
        return json.loads(json.dumps(catalogue_store.get_type(session, code).schema))


def stored(db: Database) -> tuple[int, int]:
    """(rows of the catalogue, audit events): both unchanged when nothing was stored."""
    with db.session() as session:
        rows = session.scalar(select(func.count()).select_from(CounterTransactionType))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(rows or 0), int(events or 0)


def publish(client: TestClient, code: str, text: str, reason: str = "提高授权起点") -> Any:
    token = csrf_of(client, f"/counter/catalogue/{code}")
    return client.post(
        f"/counter/catalogue/{code}",
        data={"document": text, "reason": reason, "csrf_token": token},
    )


def editor_text(page: str) -> str:
    found = TEXTAREA.search(page)
    assert found, "no editor on the page"
    return html.unescape(found.group(1))


def test_the_list_summarises_every_type_and_links_the_dictionary(admin: TestClient) -> None:
    page = admin.get("/counter/catalogue")
    assert page.status_code == 200
    assert page.text.count("<tr data-code=") == 16
    row = page.text.split('<tr data-code="withdraw">')[1].split("</tr>")[0]
    assert 'href="/counter/catalogue/withdraw"' in row
    assert "v1" in row and "是" in row  # needs a PIN
    assert "金额 ≥ 50000 → 主管授权" in row
    assert "金额 ≥ 200000 → 远程授权中心" in row
    assert "老年客户（65 岁及以上） → 主管授权" in row
    # The identity check where the money is: from 50,000 in cash, or a flagged customer.
    assert "以下情形读卡器读取身份证：金额 ≥ 50000；或 " in row
    assert "老年客户（65 岁及以上）/高风险客户/" in row
    assert "无需核验身份" not in row
    opening = page.text.split('<tr data-code="open_account">')[1].split("</tr>")[0]
    assert "开立个人银行账户" in opening and "读卡器读取身份证" in opening
    assert 'href="/counter/catalogue/fields"' in page.text

    fields = admin.get("/counter/catalogue/fields")
    assert fields.status_code == 200
    assert fields.text.count("<tr data-field=") == 32
    id_number = fields.text.split('<tr data-field="id_number">')[1].split("</tr>")[0]
    assert "GB 11643" in id_number and "^[0-9A-Z]{5,18}$" in id_number
    card = fields.text.split('<tr data-field="card_number">')[1].split("</tr>")[0]
    assert "Luhn" in card
    amount = fields.text.split('<tr data-field="amount">')[1].split("</tr>")[0]
    assert "x-manyi-minimum" in amount and "日元不带小数" in amount


def test_a_version_in_other_digits_is_refused_not_a_500(admin: TestClient) -> None:
    # "²" passed str.isdigit() and int() then raised (issue 16 #5).
    assert admin.get("/counter/catalogue/withdraw/²").status_code == 422
    assert admin.get("/counter/catalogue/withdraw/1").status_code == 200


def test_a_type_page_shows_the_pretty_json_and_the_history(admin: TestClient, db: Database) -> None:
    page = admin.get("/counter/catalogue/withdraw")
    assert page.status_code == 200
    assert editor_text(page.text) == json.dumps(
        schema_of(db, "withdraw"), indent=2, ensure_ascii=False
    )
    assert 'name="reason"' in page.text and 'name="csrf_token"' in page.text
    history = page.text.split('data-testid="history"')[1]
    assert 'data-version="1"' in history and "系统预置目录" in history
    assert "发布第 2 版" in page.text


def test_an_edit_publishes_version_2_and_an_earlier_bundle_keeps_version_1(
    admin: TestClient, db: Database, bank: Bank
) -> None:
    setup_counter(db, bank)
    sim = make_sim()
    values = customer(sim, "zhang_wei") | {"item1.amount": "20", "item1.currency": "CNY"}
    reference = open_bundle(db, "teller.a", submit(db, ["withdraw"], values))

    schema = schema_of(db, "withdraw")
    schema["x-manyi"]["authorisation"][0]["when"]["amount_at_least"] = "100000"
    response = publish(admin, "withdraw", json.dumps(schema), "2026 年授权制度调整")
    # A new threshold waits for a second head-office administrator (maker-checker).
    assert response.status_code == 303
    assert response.headers["location"] == "/counter/catalogue/withdraw?proposed=1"
    proposed = admin.get(response.headers["location"]).text
    assert 'data-testid="proposed"' in proposed
    waiting = proposed.split('data-testid="pending-changes"')[1].split("</section>")[0]
    assert "金额 ≥ 50000 → 主管授权" in waiting and "金额 ≥ 100000 → 主管授权" in waiting
    assert 'value="withdraw"' in waiting and 'value="approve"' not in waiting  # not one's own
    with db.session() as session:
        assert catalogue_store.get_type(session, "withdraw").version == 1

    add_staff(db, bank, "admin.hq2")
    checker = make_client(db)
    sign_in(checker, "admin.hq2", PASSWORD)
    token = csrf_of(checker, "/counter/catalogue")
    approved = checker.post(
        "/counter/catalogue/changes/1", data={"decision": "approve", "csrf_token": token}
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == "/counter/catalogue?decided=approve"

    page = admin.get("/counter/catalogue/withdraw")
    assert "金额 ≥ 100000 → 主管授权" in page.text
    history = page.text.split('data-testid="history"')[1]
    assert "2026 年授权制度调整" in history and "管理员甲" in history  # the maker's edit
    assert 'href="/counter/catalogue/withdraw/1"' in history

    with db.session() as session:
        versions = session.scalars(
            select(CounterTransactionType.version).where(CounterTransactionType.code == "withdraw")
        ).all()
        items = session.scalars(select(CounterBundleItem.version)).all()
        assert catalogue_store.get_type(session, "withdraw").version == 2
    assert sorted(versions) == [1, 2]
    assert reference and list(items) == [1]  # the bundle made before keeps version 1

    old = admin.get("/counter/catalogue/withdraw/1")
    assert old.status_code == 200
    assert "历史版本，只读" in old.text and "金额 ≥ 50000 → 主管授权" in old.text
    assert "readonly" in old.text and 'method="post"' not in old.text.split("<main>")[1]
    listing = admin.get("/counter/catalogue").text
    row = listing.split('<tr data-code="withdraw">')[1].split("</tr>")[0]
    assert "v2" in row


def test_an_edit_without_new_rules_is_published_at_once(admin: TestClient, db: Database) -> None:
    schema = schema_of(db, "withdraw")
    schema["required"] = [*schema["required"], "purpose"]
    response = publish(admin, "withdraw", json.dumps(schema), "用途必填")
    assert response.headers["location"] == "/counter/catalogue/withdraw?saved=2"
    assert "第 2 版已保存。" in admin.get(response.headers["location"]).text


def test_bad_json_is_refused_with_its_line_and_column_and_nothing_is_stored(
    admin: TestClient, db: Database
) -> None:
    before = stored(db)
    text = '{\n  "type": "object",\n  "properties": {,\n}'
    response = publish(admin, "deposit", text)
    assert response.status_code == 422
    assert "JSON 格式错误，第 3 行第 18 列" in response.text
    assert editor_text(response.text) == text  # what was typed is kept
    assert 'value="提高授权起点"' in response.text
    assert publish(admin, "deposit", "[1, 2]").status_code == 422
    assert publish(admin, "deposit", "[" * 100_000).status_code == 422
    assert stored(db) == before


def test_a_schema_referring_outside_the_dictionary_is_refused(
    admin: TestClient, db: Database
) -> None:
    before = stored(db)
    schema = schema_of(db, "deposit")
    schema["properties"]["pet_name"] = {"$ref": DEF_PREFIX + "pet_name"}
    response = publish(admin, "deposit", json.dumps(schema, indent=2))
    assert response.status_code == 422
    assert "不在字段字典中" in response.text
    assert "pet_name" in editor_text(response.text)

    elsewhere = schema_of(db, "deposit")
    elsewhere["properties"]["amount"] = {"$ref": "https://evil.example/fields#/$defs/amount"}
    assert publish(admin, "deposit", json.dumps(elsewhere)).status_code == 422
    assert stored(db) == before


def test_an_edit_needs_a_reason_and_a_change(admin: TestClient, db: Database) -> None:
    before = stored(db)
    schema = schema_of(db, "deposit")
    same = publish(admin, "deposit", json.dumps(schema))
    assert same.status_code == 422 and "未改变" in same.text
    schema["title"] = "Deposit cash (revised)"
    no_reason = publish(admin, "deposit", json.dumps(schema), reason="  ")
    assert no_reason.status_code == 422 and "请填写修改原因" in no_reason.text
    assert stored(db) == before


def test_unknown_types_and_versions(admin: TestClient) -> None:
    assert admin.get("/counter/catalogue/no_such_type").status_code == 404
    assert admin.get("/counter/catalogue/deposit/9").status_code == 404
    assert admin.get("/counter/catalogue/deposit/x").status_code == 422
    token = csrf_of(admin, "/counter/catalogue")
    missing = admin.post(
        "/counter/catalogue/no_such_type", data={"document": "{}", "csrf_token": token}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("persona", ["head.a", "teller.a", "manager.br.a"])
def test_only_configurers_open_the_editor(admin: TestClient, db: Database, persona: str) -> None:
    client = make_client(db)
    sign_in(client, persona, PASSWORD)
    before = stored(db)
    for path in ("/counter/catalogue", "/counter/catalogue/fields", "/counter/catalogue/deposit"):
        assert client.get(path).status_code == 403, path
    token = csrf_of(client, "/account/password")
    schema = schema_of(db, "deposit") | {"title": "changed"}
    response = client.post(
        "/counter/catalogue/deposit",
        data={"document": json.dumps(schema), "reason": "x", "csrf_token": token},
    )
    assert response.status_code == 403
    assert stored(db) == before
    anonymous = make_client(db).get("/counter/catalogue")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
