"""The pre-fill's ways in: the link on a waiting ticket's status page, and the kiosk's
version of the pages (/device/prefill…), over HTTP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.counter import prefill
from manyi.counter.tables import CounterPrefill
from manyi.db import Database
from manyi.lobby import counters, service
from manyi.org.tables import Unit
from tests.conftest import FIXED_NOW, Bank
from tests.counter_helpers import OPENING, opening_values, setup_counter
from tests.lobby_helpers import configure, operator
from tests.web_helpers import CSRF_RE, PASSWORD, device_client, make_client, sign_in

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

LINK = re.compile(r'<a class="prefill-link" href="([^"]+)" data-prefill-link( hidden)?>')


@pytest.fixture
def open_bank(db: Database, bank: Bank) -> Bank:
    """The counter's set-up, with OUT-A's lobby open all day (tickets are issued now)."""
    setup_counter(db, bank)
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    return bank


def issue(db: Database) -> str:
    with db.session() as session:
        issued = service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", FIXED_NOW)
        return issued.public_token


def test_a_waiting_tickets_page_links_to_the_prefill_and_the_prefill_to_the_ticket(
    db: Database, open_bank: Bank
) -> None:
    token = issue(db)
    phone = make_client(db)
    status = phone.get(f"/t/{token}")
    assert status.status_code == 200
    link = LINK.search(status.text)
    assert link and not link.group(2), "the link shows while the ticket waits"
    assert "预填单，到柜台更快" in status.text
    target = link.group(1).replace("&amp;", "&")
    assert target == f"/prefill/OUT-A?ticket={token}"

    pick = phone.get(target)
    assert pick.status_code == 200 and f'name="ticket" value="{token}"' in pick.text
    form = phone.get("/prefill/OUT-A/form", params={"t": OPENING, "ticket": token})
    assert f'name="ticket" value="{token}"' in form.text
    csrf = CSRF_RE.search(form.text)
    assert csrf
    data = {"csrf_token": csrf.group(1), "t": OPENING, "ticket": token, **opening_values()}
    sent = phone.post("/prefill/OUT-A/form", data=data)
    assert sent.status_code == 303, sent.text
    with db.session() as session:
        [row] = session.scalars(select(CounterPrefill)).all()
        assert row.ticket_token == token
        assert row.channel == "phone"


def test_the_link_hides_once_the_ticket_is_called(db: Database, open_bank: Bank) -> None:
    token = issue(db)
    with db.session() as session:
        counters.open_counter(session, operator(session, "teller.a"), "OUT-A", 1, FIXED_NOW)
    with db.session() as session:
        counters.call_next(session, operator(session, "teller.a"), "OUT-A", 1, FIXED_NOW)
    link = LINK.search(make_client(db).get(f"/t/{token}").text)
    assert link and link.group(2) == " hidden"


def kiosk(db: Database, bank: Bank, kind: str = "kiosk") -> TestClient:
    return device_client(db, bank.unit("OUT-A"), kind)


def test_the_kiosk_prefills_for_its_own_outlet(db: Database, open_bank: Bank) -> None:
    client = kiosk(db, open_bank)
    start = client.get("/device/kiosk")
    assert 'href="/device/prefill"' in start.text and "预填单" in start.text

    pick = client.get("/device/prefill")
    assert pick.status_code == 200
    assert "今天您要办理哪些业务？" in pick.text and pick.text.count('name="t"') == 16
    assert 'class="screen pref kpref"' in pick.text
    assert 'action="/device/prefill/form"' in pick.text
    assert 'href="/device/prefill/exit"' in pick.text  # the way back, on every screen

    form = client.get("/device/prefill/form", params={"t": OPENING})
    assert form.status_code == 200 and 'href="/device/prefill/exit"' in form.text
    # A kiosk is shared: the browser may not offer one customer's name or number to the next.
    fields = re.findall(r"<input\b[^>]*>", form.text)
    personal = [f for f in fields if re.search(r'name="(customer_name|mobile|id_number)"', f)]
    assert personal and all('autocomplete="off"' in f for f in personal)
    phone = make_client(db).get("/prefill/OUT-A/form", params={"t": OPENING}).text
    assert 'name="customer_name"' in phone and 'autocomplete="name"' in phone  # a phone is hers
    assert 'data-check="/device/prefill/check"' in form.text
    checked = client.post(
        "/device/prefill/check", json={"t": OPENING, "values": opening_values(mobile="138")}
    )
    assert checked.status_code == 200
    assert checked.json()["problems"] == {"mobile": "手机号应为 11 位，实际为 3 位"}

    bad = client.post("/device/prefill/form", data={"t": OPENING, **opening_values(mobile="1")})
    assert bad.status_code == 422 and 'href="/device/prefill/exit"' in bad.text

    sent = client.post("/device/prefill/form", data={"t": OPENING, **opening_values()})
    assert sent.status_code == 303 and sent.headers["location"] == "/device/prefill/done"
    done = client.get("/device/prefill/done")
    assert done.status_code == 200 and "请在柜台出示此码" in done.text
    found = re.search(r"data-code>(.*?)</div>", done.text)
    assert found
    code = re.sub(r"<[^>]+>|\s", "", found.group(1))
    with db.session() as session:
        row = prefill.find_prefill(session, code, FIXED_NOW)
        outlet = session.get(Unit, row.outlet_id)
        assert row.channel == "kiosk" and outlet is not None and outlet.code == "OUT-A"
        stored = session.scalar(
            select(AuditEvent.actor).where(AuditEvent.action == "counter.prefill.submit")
        )
        assert stored is not None and stored.startswith("device:")  # the kiosk, not "public"

    # Back to the start forgets the code: the next customer cannot open it again.
    back = client.get("/device/prefill/exit")
    assert back.status_code == 303 and back.headers["location"].endswith("next=/device/kiosk")
    again = client.get("/device/prefill/done")
    assert again.status_code == 303 and again.headers["location"] == "/device/prefill"


def test_only_a_kiosk_opens_the_kiosk_prefill(db: Database, open_bank: Bank) -> None:
    assert kiosk(db, open_bank, "display").get("/device/prefill").status_code == 403
    anonymous = make_client(db).get("/device/prefill")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/device/pair"
    empty = kiosk(db, open_bank).get("/device/prefill/form")
    assert empty.status_code == 422 and "请至少选择一项" in empty.text
    odd = kiosk(db, open_bank).post("/device/prefill/check", content=b"not json")
    assert odd.status_code == 422


def test_a_lifetime_id_card_is_one_tick_on_the_form(db: Database, open_bank: Bank) -> None:
    phone = make_client(db)
    form = phone.get("/prefill/OUT-A/form", params={"t": OPENING})
    text = form.text
    assert 'type="date" id="f-id_valid_until"' in text
    assert re.search(r'type="checkbox" id="f-id_valid_until-long" name="id_valid_until"', text)
    assert "长期有效" in text
    # The ID number may end in X: a text keyboard, in capitals.
    assert re.search(r'id="f-id_number"[^>]*inputmode="text" autocapitalize="characters"', text)
    csrf = CSRF_RE.search(text)
    assert csrf
    # The date left empty and the tick given, as the browser sends them: both, tick last.
    values: dict[str, str | list[str]] = {**opening_values(), "id_valid_until": ["", "long_term"]}
    sent = phone.post(
        "/prefill/OUT-A/form", data={"csrf_token": csrf.group(1), "t": OPENING, **values}
    )
    assert sent.status_code == 303, sent.text
    with db.session() as session:
        [row] = session.scalars(select(CounterPrefill)).all()
        assert row.form_values["id_valid_until"] == "long_term"


def test_a_refused_form_keeps_the_lifetime_tick(db: Database, open_bank: Bank) -> None:
    phone = make_client(db)
    csrf = CSRF_RE.search(phone.get("/prefill/OUT-A/form", params={"t": OPENING}).text)
    assert csrf
    values = opening_values(id_valid_until="long_term", mobile="12")
    data = {"csrf_token": csrf.group(1), "t": OPENING, **values}
    refused = phone.post("/prefill/OUT-A/form", data=data)
    assert refused.status_code == 422
    assert re.search(r'data-long-term="f-id_valid_until" checked', refused.text)
    assert re.search(r'id="f-id_valid_until" name="id_valid_until" value="" disabled', refused.text)
    problems = phone.post(
        "/prefill/OUT-A/check",
        json={"t": OPENING, "values": opening_values(id_valid_until="长期")},
        headers={"x-csrf-token": csrf.group(1)},
    )
    assert problems.json() == {"problems": {}}


def test_the_lobby_poster_carries_the_configured_public_address(
    db: Database, open_bank: Bank
) -> None:
    client = make_client(db, public_base_url="https://manyi.example-bank.cn/")
    poster = client.get("/prefill/OUT-A/poster")
    assert poster.status_code == 200
    assert "https://manyi.example-bank.cn/prefill/OUT-A" in poster.text and "<svg" in poster.text
    assert "testserver" not in poster.text  # never the address this browser used
    assert "甲网点" in poster.text
    assert client.get("/prefill/NOPE/poster").status_code == 404


def test_no_poster_without_a_public_address(db: Database, open_bank: Bank) -> None:
    client = make_client(db)
    refused = client.get("/prefill/OUT-A/poster")
    assert refused.status_code == 409
    assert "暂时无法打印海报" in refused.text and "MANYI_PUBLIC_BASE_URL" in refused.text
    assert "<svg" not in refused.text and "testserver/prefill" not in refused.text


@pytest.mark.parametrize(
    ("public", "noted"), [("", True), ("https://manyi.example-bank.cn", False)]
)
def test_the_dashboard_says_when_the_poster_needs_the_public_address(
    db: Database, open_bank: Bank, public: str, noted: bool
) -> None:
    manager = make_client(db, public_base_url=public)
    sign_in(manager, "teller.a", PASSWORD)
    page = manager.get("/lobby/dashboard")
    assert page.status_code == 200 and 'data-testid="prefill-poster"' in page.text
    assert ("需先配置公网地址（MANYI_PUBLIC_BASE_URL）" in page.text) is noted
