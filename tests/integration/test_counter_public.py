"""The customer's pre-fill pages over HTTP: pick, one form, the code; the live check."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manyi.counter import prefill
from manyi.counter.tables import CounterPrefill
from manyi.counter.web import prefill_limits
from manyi.counter.web.prefill_limits import PHONE_SUBMITS
from manyi.db import Database
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.conftest import Bank
from tests.counter_helpers import OPENING, opening_values, setup_counter
from tests.web_helpers import CSRF_RE, make_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

FORM = "/prefill/OUT-A/form"


@pytest.fixture
def client(db: Database, bank: Bank) -> TestClient:
    setup_counter(db, bank)
    return make_client(db)


def csrf(client: TestClient, codes: list[str] = OPENING) -> str:
    match = CSRF_RE.search(client.get(FORM, params={"t": codes}).text)
    assert match
    return match.group(1)


def post(client: TestClient, values: dict[str, str], codes: list[str] = OPENING) -> httpx.Response:
    token = csrf(client, codes)
    return client.post(FORM, data={"csrf_token": token, "t": codes, **values})


def stored(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(CounterPrefill)) or 0)


def test_the_first_page_offers_the_catalogue_as_tiles_in_groups(client: TestClient) -> None:
    page = client.get("/prefill/OUT-A", params={"ticket": "tok-1"})
    assert page.status_code == 200
    assert "今天您要办理哪些业务？" in page.text
    for name in ("开立个人银行账户", "申领借记卡", "开通手机银行", "存款", "银行卡挂失"):
        assert name in page.text
    assert page.text.count('name="t"') == 16
    assert 'name="ticket" value="tok-1"' in page.text
    assert "账户与银行卡" in page.text and "定期存款与理财" in page.text


def test_the_form_asks_shared_fields_once_and_each_items_own(client: TestClient) -> None:
    page = client.get(
        FORM, params={"t": ["deposit", "mobile_banking_signup", "open_account", "card_issue"]}
    )
    assert page.status_code == 200
    text = page.text
    assert "您的信息" in text
    for key in ("customer_name", "id_number", "mobile", "address", "occupation"):
        assert text.count(f'name="{key}"') == 1, key
    # Run in catalogue order, whatever order they were ticked in.
    sections = re.findall(r'data-section="(\w+)"', text)
    assert sections == ["customer", "item1", "item2", "item3", "item4"]
    for key in (
        "item1.account_type",
        "item2.card_product",
        "item3.daily_limit",
        "item4.amount",
        "item4.currency",
    ):
        assert f'name="{key}"' in text, key
    # The card and account come from the items before: not asked.
    assert 'name="card_number"' not in text and 'name="account_number"' not in text
    assert "第 1 项" in text
    # Keyboards and inputs suited to the value.
    assert re.search(r'type="tel" id="f-mobile"[^>]*inputmode="tel"', text)
    assert re.search(r'id="f-item4-amount"[^>]*inputmode="decimal"', text)
    assert 'type="date" id="f-id_valid_until"' in text
    assert re.search(r'<select id="f-occupation"', text)
    assert '<option value="resident_id" selected>居民身份证</option>' in text
    assert "必填" in text


def test_english_labels_come_from_the_dictionary(client: TestClient) -> None:
    client.cookies.set("manyi_lang", "en")
    page = client.get(FORM, params={"t": ["deposit"]})
    assert "Your details" in page.text and "Cash deposit" in page.text
    assert "Amount" in page.text


@pytest.mark.parametrize(
    ("codes", "field", "value", "message"),
    [
        (OPENING, "id_number", "110105194912310021", "身份证号码有误，请核对最后一位"),
        (OPENING, "mobile", "1381234567", "手机号应为 11 位，实际为 10 位"),
        (OPENING, "item4.amount", "-5", "金额必须大于 0"),
        (["card_loss"], "card_number", "6228880000000000002", "卡号校验未通过"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_stored(
    client: TestClient, db: Database, codes: list[str], field: str, value: str, message: str
) -> None:
    values = opening_values(**{field: value})
    if codes == ["card_loss"]:
        customer = ("customer_name", "id_type", "id_number", "mobile")
        values = {k: v for k, v in values.items() if k in customer}
        values |= {"card_number": value, "item1.loss_reason": "lost"}
    response = post(client, values, codes)
    assert response.status_code == 422
    text = response.text
    problem = re.search(rf'data-problem="{re.escape(field)}"[^>]*>([^<]*)<', text)
    assert problem and message in problem.group(1), text[:200]
    assert f'value="{value}"' in text  # what was typed is kept
    assert 'value="王淑芬"' in text
    assert stored(db) == 0


def test_a_good_form_gives_a_code_and_stores_only_its_hash(
    client: TestClient, db: Database
) -> None:
    response = post(client, opening_values(), OPENING)
    assert response.status_code == 303, response.text
    done = client.get(response.headers["location"])
    assert done.status_code == 200
    code = re.sub(r"<[^>]+>|\s", "", re.search(r"data-code>(.*?)</div>", done.text).group(1))  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    assert "请在柜台出示此码" in done.text and "<svg" in done.text
    assert re.search(r"有效期至 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", done.text)
    for name in ("开立个人银行账户", "申领借记卡", "开通手机银行", "存款"):
        assert name in done.text
    with db.session() as session:
        [row] = session.scalars(select(CounterPrefill)).all()
        assert row.code_hash == prefill.code_hash(code, DEVELOPMENT_DATA_KEYS)
        assert code not in str(row.__dict__)
        assert row.form_values["mobile"] == "13812345678"
        assert row.form_values["item4.amount"] == "1000"
        assert [i["code"] for i in row.items] == OPENING
        found = prefill.find_prefill(session, code, row.created_at)
        assert found.id == row.id


def test_the_done_page_needs_a_code_just_given(client: TestClient) -> None:
    response = client.get("/prefill/OUT-A/done")
    assert response.status_code == 303
    assert response.headers["location"] == "/prefill/OUT-A"


def test_unknown_outlets_and_empty_choices(client: TestClient) -> None:
    for path in ("/prefill/NOPE", "/prefill/NOPE/form?t=deposit", "/prefill/BR-A"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "找不到该网点" in response.text
    empty = client.get(FORM)
    assert empty.status_code == 422 and "请至少选择一项" in empty.text
    unknown = client.get(FORM, params={"t": "teleport"})
    assert unknown.status_code == 422


def test_submissions_are_limited_per_phone_and_the_refused_form_is_kept(
    client: TestClient, db: Database
) -> None:
    for _ in range(PHONE_SUBMITS):
        assert post(client, opening_values()).status_code == 303
    refused = post(client, opening_values(customer_name="李建国"))
    assert refused.status_code == 429
    assert 'data-limited="phone"' in refused.text
    assert "这部手机在过去一小时内提交的预填单过多" in refused.text
    assert "您填写的内容仍保留在下方" in refused.text
    # The form comes back as typed, ready to send again.
    assert 'value="李建国"' in refused.text
    assert 'value="11010519491231002X"' in refused.text
    assert 'value="北京市海淀区中关村大街27号"' in refused.text
    assert stored(db) == PHONE_SUBMITS


def test_phones_sharing_the_branch_wifi_are_not_locked_out(
    client: TestClient, db: Database
) -> None:
    # Every TestClient comes from the one address "testclient", as phones on one Wi-Fi do.
    for _ in range(PHONE_SUBMITS + 5):
        phone = make_client(db)
        assert post(phone, opening_values()).status_code == 303
    assert stored(db) == PHONE_SUBMITS + 5


def test_the_address_has_a_ceiling_for_scripts_that_drop_their_cookie(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefill_limits, "ADDRESS_SUBMITS", 3)
    for _ in range(3):
        assert post(make_client(db), opening_values()).status_code == 303
    refused = post(make_client(db), opening_values(customer_name="李建国"))
    assert refused.status_code == 429
    assert 'data-limited="network"' in refused.text and "本网络" in refused.text
    assert 'value="李建国"' in refused.text
    assert stored(db) == 3


def test_a_refused_form_does_not_count_against_the_limit(client: TestClient, db: Database) -> None:
    for _ in range(PHONE_SUBMITS + 2):
        bad = post(client, opening_values(mobile="12"))
        assert bad.status_code == 422
    assert post(client, opening_values()).status_code == 303


def test_the_check_endpoint_returns_problems_per_field(client: TestClient) -> None:
    token = csrf(client)
    body = {"t": OPENING, "values": opening_values(mobile="1381234567", id_number="")}
    response = client.post("/prefill/OUT-A/check", json=body, headers={"x-csrf-token": token})
    assert response.status_code == 200
    problems = response.json()["problems"]
    assert problems == {
        "id_number": "此项为必填项",
        "mobile": "手机号应为 11 位，实际为 10 位",
    }
    good = client.post(
        "/prefill/OUT-A/check",
        json={"t": OPENING, "values": opening_values()},
        headers={"x-csrf-token": token},
    )
    assert good.json() == {"problems": {}}
    assert client.post("/prefill/OUT-A/check", json=body).status_code == 403  # no CSRF token
    missing = client.post("/prefill/NOPE/check", json=body, headers={"x-csrf-token": token})
    assert missing.status_code == 404


def test_the_check_endpoint_answers_a_form_post(client: TestClient) -> None:
    # Found by test_form_fuzz.py: the CSRF guard had read the form, so reading the body
    # again as JSON raised "Stream consumed" (a 500). A form is simply not a check.
    response = client.post("/prefill/OUT-A/check", data={"csrf_token": csrf(client), "t": "x"})
    assert response.status_code == 422


def test_a_stale_ticket_does_not_cost_the_customer_their_code(
    client: TestClient, db: Database
) -> None:
    token = csrf(client)
    data = {"csrf_token": token, "t": OPENING, "ticket": "no-such-ticket", **opening_values()}
    response = client.post(FORM, data=data)
    assert response.status_code == 303
    with db.session() as session:
        [row] = session.scalars(select(CounterPrefill)).all()
        assert row.ticket_token is None


def test_live_checks_are_counted_per_phone_too(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefill_limits, "PHONE_CHECKS", 1)
    body = {"t": OPENING, "values": opening_values()}

    def check(phone: TestClient) -> int:
        token = csrf(phone)
        url = "/prefill/OUT-A/check"
        return phone.post(url, json=body, headers={"x-csrf-token": token}).status_code

    assert check(client) == 200
    assert check(client) == 429  # this phone has used its checks
    assert check(make_client(db)) == 200  # another phone on the same Wi-Fi has not
