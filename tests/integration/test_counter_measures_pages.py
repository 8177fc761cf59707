"""The counter-measures page and the lobby dashboard's counter card."""

from __future__ import annotations

import pytest
import time_machine

from manyi.counter import measures, running
from manyi.db import Database
from tests.conftest import Bank, add_staff
from tests.counter_helpers import (
    MINUTE,
    TODAY,
    Sim,
    act,
    clerk,
    customer,
    ready,
)
from tests.lobby_helpers import T0
from tests.web_helpers import make_client, signed_in_client

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

DAY = f"/counter/measures?day={TODAY.isoformat()}"


def run_three(db: Database, sim: Sim) -> None:
    """A withdrawal, a transfer and a bill payment at OUT-A, on one form with one PIN."""
    values = customer(sim, "zhang_wei") | {
        "item1.amount": "1000",
        "item1.currency": "CNY",
        "item2.amount": "500",
        "item2.currency": "CNY",
        "item2.payee_name": "刘洋",
        "item2.payee_account": sim.account("liu_yang"),
        "item2.payee_bank": "满意银行",
        "item3.amount": "60",
        "item3.currency": "CNY",
        "item3.bill_type": "gas",
        "item3.bill_account": "G123456",
    }
    reference = ready(db, sim, "zhang_wei", ["withdraw", "transfer", "bill_pay"], values)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, reference, T0 + 7 * MINUTE, pin_pad=sim.pad, core=sim.core)


def card_of(page: str, testid: str) -> str:
    assert f'data-testid="{testid}"' in page, testid
    return page.split(f'data-testid="{testid}"')[1].split("</section>")[0]


def test_the_page_shows_the_figures_of_a_finished_bundle(
    db: Database, sim: Sim, bank: Bank
) -> None:
    run_three(db, sim)
    with db.session() as session:
        figures = measures.outlet_measures(
            session, clerk(session, "head.a"), bank.unit("OUT-A"), TODAY
        )
    assert figures.finished == 1 and figures.pin_entries_saved == 2

    page = signed_in_client(db, "head.a").get(DAY)
    assert page.status_code == 200
    card = card_of(page.text, "outlet-OUT-A")
    assert "甲网点" in card
    assert f"{figures.fields_saved_percent:.1f}<small> %</small>" in card
    assert "填单字段节省" in card
    assert "少输密码</dt><dd>2 次" in card
    assert "少授权</dt><dd>0 次" in card
    assert "少读证</dt><dd>" in card
    assert "办理时长 中位数" in card and "7 分 0 秒" in card  # opened at T0, finished at T0+7
    assert "<strong>1 / 1</strong>" in card and "共 3 笔交易" in card
    total = card_of(page.text, "measures-total")
    assert "辖内网点合计" in total and "<strong>1 / 1</strong>" in total
    assert "办理时长 平均" in total and "7 分 0 秒" in total


def test_the_scope_decides_which_outlets_appear(db: Database, sim: Sim, bank: Bank) -> None:
    run_three(db, sim)
    other = signed_in_client(db, "head.b").get(DAY)
    assert other.status_code == 200
    assert "甲网点" not in other.text and 'data-testid="outlet-OUT-A"' not in other.text
    assert 'data-testid="no-bundles"' in other.text

    admin = signed_in_client(db, "admin").get(DAY)
    assert 'data-testid="outlet-OUT-A"' in admin.text
    assert 'data-testid="outlet-OUT-B"' not in admin.text  # no bundles there: counted instead
    rest = admin.text.split('data-testid="rest"')[1].split("</p>")[0]
    assert "辖内另有 1 个网点当日没有柜面业务。" in rest

    before = signed_in_client(db, "head.a").get("/counter/measures?day=2026-11-29")
    assert before.status_code == 200 and 'data-testid="no-bundles"' in before.text


def test_a_bad_day_is_refused_and_tellers_may_not_open_it(db: Database, sim: Sim) -> None:
    head = signed_in_client(db, "head.a")
    for bad in ("2026-13-01", "yesterday", "2026-02-30"):
        response = head.get(f"/counter/measures?day={bad}")
        assert response.status_code == 422, bad
        assert "日期格式应为 2026-03-01" in response.text
    assert head.get("/counter/measures").status_code == 200  # today
    assert signed_in_client(db, "teller.a").get(DAY).status_code == 403
    anonymous = make_client(db).get(DAY)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")


def test_the_lobby_dashboard_shows_the_counter_card(db: Database, sim: Sim, bank: Bank) -> None:
    head = signed_in_client(db, "head.a").get("/lobby/dashboard")
    assert head.status_code == 200
    card = card_of(head.text, "counter-card")
    assert "柜面一次办（今日）" in card and "填单字段节省" in card
    assert 'href="/counter/measures"' in head.text

    teller = signed_in_client(db, "teller.a").get("/lobby/dashboard")
    assert teller.status_code == 200
    assert 'data-testid="counter-card"' in teller.text
    assert 'href="/counter/measures"' not in teller.text  # no COUNTER_VIEW: no link

    add_staff(db, bank, "lobby.a")
    lobby = signed_in_client(db, "lobby.a").get("/lobby/dashboard")
    assert lobby.status_code == 200 and 'data-testid="counter-card"' not in lobby.text


def test_the_dashboard_card_shows_the_outlets_day_by_the_clock(
    db: Database, sim: Sim, bank: Bank
) -> None:
    """The card's "today" is the outlet's local day at `manyi.db.utcnow()`: Beijing's day ends
    at 16:00 UTC, and the card of the next day starts empty."""
    run_three(db, sim)  # on TODAY, from T0 (10:00 in Beijing)
    evening = T0 + 8 * 60 * MINUTE - MINUTE  # 17:59 in Beijing, still TODAY
    with time_machine.travel(evening, tick=False):
        head = signed_in_client(db, "head.a")
        card = card_of(head.get("/lobby/dashboard").text, "counter-card")
        assert "<strong>1 / 1</strong>" in card and "共 3 笔交易" in card
        today = head.get("/counter/measures")  # no day given: the local day at utcnow()
        assert 'data-testid="outlet-OUT-A"' in today.text
    midnight = T0 + 14 * 60 * MINUTE  # 00:00 in Beijing, the day after
    with time_machine.travel(midnight, tick=False):
        head = signed_in_client(db, "head.a")
        card = card_of(head.get("/lobby/dashboard").text, "counter-card")
        assert "<strong>0 / 0</strong>" in card
        assert 'data-testid="no-bundles"' in head.get("/counter/measures").text
