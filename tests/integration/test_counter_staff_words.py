"""What the teller reads is in their language: the authorisation step, a refused correction
(the field's label, the reason, the typed value kept), the corrections list, money limits,
the ID check digit, the bundle list (its header, and how an archived bundle's run went)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.counter.adapters import registry
from manyi.counter.demo import id_card
from manyi.counter.tables import CounterBundle
from manyi.db import Database
from tests.conftest import FIXED_NOW
from tests.counter_helpers import png, submit
from tests.web_helpers import csrf_of

pytestmark = pytest.mark.usefixtures("frozen_clock")


def post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client, "/counter"), **data})


def opened(db: Database, rt: registry.Runtime, client: TestClient, withdraw: str) -> str:
    card = id_card("zhang_wei")
    values = {
        "customer_name": card.name,
        "id_type": "resident_id",
        "id_number": card.id_number,
        "account_number": rt.demo_accounts["zhang_wei"][1],
        "item1.amount": "1000",
        "item1.currency": "CNY",
        "item2.amount": withdraw,
        "item2.currency": "CNY",
    }
    code = submit(db, ["deposit", "withdraw"], values, FIXED_NOW)
    response = post(client, "/counter/open", code=code)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[1]


def form_values(db: Database, reference: str) -> dict[str, Any]:
    with db.session() as session:
        row = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert row is not None
        return dict(row.form_values)


def error_of(page: str) -> str:
    return page.split('data-testid="error">')[1].split("</div>")[0]


def test_the_authorisation_step_is_in_chinese(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    ref = opened(db, rt, teller, "60000")
    post(teller, f"/counter/bundles/{ref}/confirm")
    post(teller, f"/counter/bundles/{ref}/identity", card="form")  # 60,000 in cash: the card
    page = teller.get(f"/counter/bundles/{ref}").text
    assert 'data-next="authorisation"' in page
    assert "金额达到 50,000 及以上 → 主管授权" in page and "取款" in page
    for english in ("Cash deposit", "Cash withdrawal", "amount ≥", "→ supervisor", "存款 / "):
        assert english not in page, english


def test_a_refused_correction_names_the_field_says_why_and_keeps_what_was_typed(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    ref = opened(db, rt, teller, "500")
    bad = post(teller, f"/counter/bundles/{ref}/correct", key="item1.amount", value="-5")
    assert bad.status_code == 422
    assert error_of(bad.text) == "金额（存款）：金额必须大于 0"  # no key, no "check 1 field"
    assert 'value="-5"' in bad.text  # what the teller typed, to fix rather than retype
    assert form_values(db, ref)["item1.amount"] == "1000"  # nothing stored

    huge = post(teller, f"/counter/bundles/{ref}/correct", key="item2.amount", value="1000000000")
    assert huge.status_code == 422
    assert error_of(huge.text) == "金额（取款）：金额不能超过 1,000,000.00"  # the withdrawal's
    longer = post(teller, f"/counter/bundles/{ref}/correct", key="item2.amount", value="9" * 20)
    assert error_of(longer.text) == "金额（取款）：金额不能超过 1,000,000.00"  # not "15 个字"

    number = id_card("zhang_wei").id_number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    digit = post(teller, f"/counter/bundles/{ref}/correct", key="id_number", value=wrong)
    assert digit.status_code == 422
    assert error_of(digit.text).endswith("：身份证号码有误，请核对最后一位")
    assert "校验位" not in digit.text


def test_the_corrections_list_shows_labels_and_amounts(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    ref = opened(db, rt, teller, "500")
    assert post(teller, f"/counter/bundles/{ref}/correct", key="item1.amount", value="3000")
    page = teller.get(f"/counter/bundles/{ref}").text
    corrections = page.split('class="corrections"')[1].split("</ul>")[0]
    assert "金额（存款）：1,000.00 → 3,000.00" in corrections
    assert "item1.amount" not in corrections


def test_the_bundle_list_says_bundle_reference_and_how_an_archived_run_went(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    ref = opened(db, rt, teller, "500")
    post(teller, f"/counter/bundles/{ref}/confirm")
    post(teller, f"/counter/bundles/{ref}/run", pin="000000")  # a wrong PIN: the withdrawal
    ran = post(teller, f"/counter/bundles/{ref}/run", stop_pin="yes")  # waits; she stops
    assert ran.headers["location"].endswith("done=ran-partial")
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    post(teller, f"/counter/bundles/{ref}/sign", signature=signature)
    assert post(teller, f"/counter/bundles/{ref}/voucher").status_code == 303
    home = teller.get("/counter").text
    table = home.split('data-testid="mine"')[1].split("</table>")[0]
    assert "业务编号" in table and "投诉编号" not in table
    assert "电子凭证已归档" in table or "已归档" in table
    assert 'data-outcome="partial"' in table and "部分办理成功" in table


def test_a_value_refused_at_confirmation_is_named_by_its_label(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    ref = opened(db, rt, teller, "500")
    with db.session() as session:  # a value that no longer passes (as a date that has passed)
        row = session.scalar(select(CounterBundle).where(CounterBundle.reference == ref))
        assert row is not None
        row.form_values = {**row.form_values, "item2.amount": "0"}
    refused = post(teller, f"/counter/bundles/{ref}/confirm")
    assert refused.status_code == 422
    assert error_of(refused.text) == "金额（取款）：金额必须大于 0"
