"""The teller's bundle screen through HTTP: open by code or with the called ticket, correct and
re-confirm, read the card, ask for the one authorisation, run with one PIN, sign, e-voucher;
and every refusal shown on the screen with its reason, changing nothing."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.counter import authorisations
from manyi.counter.adapters import registry
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from manyi.counter.demo import id_card
from manyi.counter.tables import (
    CounterAuthorisation,
    CounterBundle,
    CounterBundleItem,
    CounterSignature,
)
from manyi.db import Database
from tests.conftest import FIXED_NOW, PASSWORD
from tests.counter_helpers import act, png, submit
from tests.web_helpers import csrf_of, make_client, sign_in

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def values(rt: registry.Runtime, short: str, **extra: str) -> dict[str, Any]:
    card = id_card(short)
    return {
        "customer_name": card.name,
        "id_type": "resident_id",
        "id_number": card.id_number,
        "account_number": rt.demo_accounts[short][1],
    } | extra


def deposit_and_withdrawal(rt: registry.Runtime, withdraw: str = "60000") -> dict[str, Any]:
    return values(
        rt,
        "zhang_wei",
        **{
            "item1.amount": "1000",
            "item1.currency": "CNY",
            "item2.amount": withdraw,
            "item2.currency": "CNY",
        },
    )


def post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_of(client, "/counter")
    return client.post(path, data={"csrf_token": token, **data})


def open_code(client: TestClient, code: str) -> str:
    response = post(client, "/counter/open", code=code)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[1]


def bundle_row(db: Database, reference: str) -> CounterBundle:
    with db.session() as session:
        row = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert row is not None
        session.expunge(row)
        return row


def test_a_whole_visit_with_one_pin_and_one_authorisation(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt), FIXED_NOW)
    ref = open_code(teller, code)
    page = teller.get(f"/counter/bundles/{ref}")
    assert page.status_code == 200
    assert "张伟" in page.text and 'data-next="confirm"' in page.text

    assert post(teller, f"/counter/bundles/{ref}/confirm").status_code == 303
    page = teller.get(f"/counter/bundles/{ref}")
    # 60,000 in cash ≥ 50,000: the ID card first (the catalogue's identity rule) ...
    assert 'data-next="identity"' in page.text and "金额 ≥ 50000" in page.text
    refused = post(teller, f"/counter/bundles/{ref}/authorisation")
    assert refused.status_code == 409 and bundle_row(db, ref).state == "confirmed"
    assert post(teller, f"/counter/bundles/{ref}/identity", card="form").status_code == 303
    page = teller.get(f"/counter/bundles/{ref}")
    assert 'data-next="authorisation"' in page.text  # ... then a supervisor

    assert post(teller, f"/counter/bundles/{ref}/authorisation").status_code == 303
    assert bundle_row(db, ref).state == "awaiting_authorisation"
    assert teller.get(f"/counter/bundles/{ref}/state.json").json() == {
        "state": "awaiting_authorisation",
        "request": "pending",
    }
    with db.session() as session:
        request_id = session.scalar(
            select(CounterAuthorisation.id)
            .join(CounterBundle, CounterBundle.id == CounterAuthorisation.bundle_id)
            .where(CounterBundle.reference == ref)
        )
    act(db, "sup.a", authorisations.approve, request_id, FIXED_NOW)

    pin = DEMO_CUSTOMERS["zhang_wei"][3]
    ran = post(teller, f"/counter/bundles/{ref}/run", pin=pin)
    assert ran.status_code == 303 and ran.headers["location"].endswith("done=ran-done")
    row = bundle_row(db, ref)
    assert row.state == "done" and row.pin_entries == 1
    with db.session() as session:
        statuses = session.scalars(
            select(CounterBundleItem.status).where(CounterBundleItem.bundle_id == row.id)
        ).all()
    assert statuses == ["posted", "posted"]
    page = teller.get(f"/counter/bundles/{ref}")
    assert 'data-next="sign"' in page.text and pin not in page.text

    pad = teller.get(f"/counter/bundles/{ref}/sign")
    assert pad.status_code == 200 and "请签名确认" in pad.text
    lines = pad.text.split('data-testid="sig-lines"')[1].split("</ol>")[0]
    first, second = lines.split('data-item="2"')
    assert "存款" in first and "人民币</small> 1,000.00" in first and "完成" in first
    assert "取款" in second and "人民币</small> 60,000.00" in second and "完成" in second
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    assert post(teller, f"/counter/bundles/{ref}/sign", signature=signature).status_code == 303
    with db.session() as session:
        kept = session.get_one(CounterSignature, row.id)
        assert kept.sha256 == hashlib.sha256(png()).hexdigest()

    assert post(teller, f"/counter/bundles/{ref}/voucher").status_code == 303
    assert bundle_row(db, ref).state == "archived"
    pdf = teller.get(f"/counter/bundles/{ref}/voucher.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert teller.get(f"/counter/bundles/{ref}/voucher.pdf").content == pdf.content  # reprint
    assert ref in teller.get("/counter").text  # in "my bundles today"


def test_a_wrong_pin_is_typed_again_and_nothing_is_posted_twice(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt, "500"), FIXED_NOW)
    ref = open_code(teller, code)
    post(teller, f"/counter/bundles/{ref}/confirm")
    before = rt.core.balance(rt.demo_accounts["zhang_wei"][0]).balance
    ran = post(teller, f"/counter/bundles/{ref}/run", pin="000000")
    assert ran.headers["location"].endswith("done=ran-pin_retry")
    page = teller.get(ran.headers["location"]).text
    assert "密码错误，请客户重新输入" in page  # the item's result and the flash
    assert 'data-next="retry_pin"' in page and "请客户重新输入密码" in page
    assert "还可输入 2 次" in page and 'data-testid="pin-again"' in page
    assert 'data-status="pin_wrong"' in page
    after_wrong = rt.core.balance(rt.demo_accounts["zhang_wei"][0]).balance
    assert after_wrong - before == 1000  # the deposit went through, the withdrawal not yet

    again = post(teller, f"/counter/bundles/{ref}/run", pin="123456")
    assert again.headers["location"].endswith("done=ran-done")
    after = rt.core.balance(rt.demo_accounts["zhang_wei"][0]).balance
    assert after - before == 1000 - 500  # each posted once
    assert bundle_row(db, ref).pin_entries == 2


def test_a_customer_who_stops_after_a_wrong_pin_signs_for_what_was_and_was_not_done(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt, "500"), FIXED_NOW)
    ref = open_code(teller, code)
    post(teller, f"/counter/bundles/{ref}/confirm")
    post(teller, f"/counter/bundles/{ref}/run", pin="000000")
    stopped = post(teller, f"/counter/bundles/{ref}/run", stop_pin="yes")
    assert stopped.headers["location"].endswith("done=ran-partial")
    pad = teller.get(f"/counter/bundles/{ref}/sign").text
    lines = pad.split('data-testid="sig-lines"')[1].split("</ol>")[0]
    first, second = lines.split('data-item="2"')
    assert 'class="ok"' in first and "1,000.00" in first and "完成" in first
    assert 'class="bad"' in lines and "500.00" in second and "密码错误" in second
    assert "未完成的业务没有任何资金变动" in pad


def test_a_correction_needs_the_customer_to_confirm_again(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt, "500"), FIXED_NOW)
    ref = open_code(teller, code)
    post(teller, f"/counter/bundles/{ref}/confirm")
    fixed = post(teller, f"/counter/bundles/{ref}/correct", key="item1.amount", value="1200")
    assert fixed.status_code == 303
    row = bundle_row(db, ref)
    assert row.state == "draft" and row.form_values["item1.amount"] == "1200"
    page = teller.get(f"/counter/bundles/{ref}")
    assert "corrected" in page.text or "已更正" in page.text
    review = teller.get(f"/counter/bundles/{ref}/review")  # the customer's screen
    assert review.status_code == 200 and "1,200.00" in review.text
    assert 'class="corrected"' in review.text
    refused = post(teller, f"/counter/bundles/{ref}/run", pin="123456")
    assert refused.status_code == 409 and 'data-testid="error"' in refused.text
    assert bundle_row(db, ref).state == "draft"

    bad = post(teller, f"/counter/bundles/{ref}/correct", key="item1.amount", value="-5")
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    assert bundle_row(db, ref).form_values["item1.amount"] == "1200"
    unknown = post(teller, f"/counter/bundles/{ref}/correct", key="salary", value="1")
    assert unknown.status_code == 422


def test_the_id_card_is_read_before_a_card_replacement(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    extra = {
        "mobile": "13812345678",
        "card_number": rt.demo_accounts["zhang_wei"][1],
        "item1.replace_reason": "damaged",
    }
    form = values(rt, "zhang_wei", **extra)
    del form["account_number"]
    code = submit(db, ["card_replace"], form, FIXED_NOW)
    ref = open_code(teller, code)
    post(teller, f"/counter/bundles/{ref}/confirm")
    early = post(teller, f"/counter/bundles/{ref}/authorisation")
    assert early.status_code == 409  # the card first
    wrong = post(teller, f"/counter/bundles/{ref}/identity", card="li_xiuying")
    assert wrong.status_code == 409 and bundle_row(db, ref).id_checked_at is None
    assert post(teller, f"/counter/bundles/{ref}/identity", card="form").status_code == 303
    assert bundle_row(db, ref).state == "identity_checked"
    nonsense = post(teller, f"/counter/bundles/{ref}/identity", card="nobody")
    assert nonsense.status_code == 422


def test_bad_codes_and_strangers_bundles_are_refused_clearly(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    missing = post(teller, "/counter/open", code="ZZZZZZZZ")
    assert missing.status_code in (404, 422) and 'data-testid="error"' in missing.text
    nothing_called = post(teller, "/counter/open")
    assert nothing_called.status_code == 404
    code = submit(
        db,
        ["deposit"],
        values(rt, "zhang_wei", **{"item1.amount": "10", "item1.currency": "CNY"}),
        FIXED_NOW,
    )
    ref = open_code(teller, code)
    other = make_client(db)
    sign_in(other, "teller.a2", PASSWORD)
    assert post(other, "/counter/open", code=code).status_code == 409  # used already
    assert post(other, f"/counter/bundles/{ref}/confirm").status_code in (403, 404)
    outsider = make_client(db)
    sign_in(outsider, "teller.b", PASSWORD)
    assert outsider.get(f"/counter/bundles/{ref}").status_code == 404
    assert bundle_row(db, ref).state == "draft"


def test_a_signature_that_is_not_a_png_is_refused(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    code = submit(
        db,
        ["deposit"],
        values(rt, "zhang_wei", **{"item1.amount": "10", "item1.currency": "CNY"}),
        FIXED_NOW,
    )
    ref = open_code(teller, code)
    post(teller, f"/counter/bundles/{ref}/confirm")
    post(teller, f"/counter/bundles/{ref}/run")
    assert bundle_row(db, ref).state == "done"
    for junk in ("", "data:image/png;base64,@@@", "data:image/png;base64," + "QUJD"):
        refused = post(teller, f"/counter/bundles/{ref}/sign", signature=junk)
        assert refused.status_code == 422, junk
    assert bundle_row(db, ref).state == "done"
    early = post(teller, f"/counter/bundles/{ref}/voucher")
    assert early.status_code == 409
    assert teller.get(f"/counter/bundles/{ref}/voucher.pdf").status_code == 404


def test_the_teller_fills_the_form_for_a_customer_without_a_prefill(
    db: Database, rt: registry.Runtime, teller: TestClient
) -> None:
    picking = teller.get("/counter/fill")
    assert picking.status_code == 200 and 'value="withdraw"' in picking.text
    form = teller.get("/counter/fill?t=withdraw&t=deposit")
    assert form.status_code == 200 and 'name="item2.amount"' in form.text  # catalogue order
    token = csrf_of(teller, "/counter/fill")
    good = values(rt, "zhang_wei") | {
        "item1.amount": "300",
        "item1.currency": "CNY",
        "item2.amount": "800",
        "item2.currency": "CNY",
    }
    with db.session() as session:
        before = len(session.scalars(select(CounterBundle.id)).all())
    bad = teller.post(
        "/counter/fill",
        data={"csrf_token": token, "t": ["deposit", "withdraw"]} | good | {"id_number": "12345"},
    )
    assert bad.status_code == 422 and 'data-field="id_number"' in bad.text
    assert 'value="800"' in bad.text  # what was typed is kept
    nothing = teller.post("/counter/fill", data={"csrf_token": token} | good)
    assert nothing.status_code == 422
    with db.session() as session:
        assert len(session.scalars(select(CounterBundle.id)).all()) == before
    opened = teller.post(
        "/counter/fill", data={"csrf_token": token, "t": ["deposit", "withdraw"]} | good
    )
    assert opened.status_code == 303
    ref = opened.headers["location"].rsplit("/", 1)[1]
    row = bundle_row(db, ref)
    assert row.state == "draft" and row.form_values["item2.amount"] == "800"
    supervisor = make_client(db)
    sign_in(supervisor, "sup.a", PASSWORD)
    assert supervisor.get("/counter/fill").status_code == 403


def test_the_card_from_the_form_shortcut_exists_only_in_demo_mode(
    db: Database, rt: registry.Runtime, tmp_path: Any
) -> None:
    """Issue 16 #6: a production pilot on the simulated devices reads only a card placed on
    the reader, never the one the form itself describes."""
    pilot = make_client(
        db,
        var_dir=tmp_path,
        env="production",
        audit_key="k7Qp-2xVn9_Lm4Rt8Zs1Wc6Yb3Hd5Jf0Ge",
        data_key="pilot:" + "9f1c2b7a4e6d8053c1b2a3948576f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b",
        blind_index_pepper="Xq3-vL9_pT2mR8sK1wN6yB4hD7jF0gC5zA",
        counter_allow_simulated=True,
        cookie_secure=False,
    )
    sign_in(pilot, "teller.a", PASSWORD)
    code = submit(db, ["deposit", "withdraw"], deposit_and_withdrawal(rt), FIXED_NOW)
    ref = open_code(pilot, code)
    post(pilot, f"/counter/bundles/{ref}/confirm")
    page = pilot.get(f"/counter/bundles/{ref}").text
    assert 'data-next="identity"' in page and 'value="form"' not in page
    refused = post(pilot, f"/counter/bundles/{ref}/identity", card="form")
    assert refused.status_code == 422
    assert bundle_row(db, ref).id_checked_at is None
