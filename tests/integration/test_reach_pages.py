"""The customer-messages page and the message words, as staff use them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from manyi.db import Database
from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind
from manyi.reach.tables import ReachTemplate
from tests.conftest import FIXED_NOW, SYSTEM, Bank, add_staff
from tests.web_helpers import csrf_of, signed_in_client, staff_client

ZONE = ZoneInfo("Asia/Shanghai")


def _sent(db: Database, bank: Bank, phone: str, outlet: str, kind: Kind, params: dict) -> None:
    with db.session() as session:
        contact = contacts.remember(session, phone, FIXED_NOW)
        for purpose in ("queue", "appointment"):
            contacts.record_consent(
                session, SYSTEM, contact, purpose, granted=True, source="demo", now=FIXED_NOW
            )
        messages.send(session, contact, kind, params, FIXED_NOW, ZONE, unit_id=bank.unit(outlet))


def test_an_outlet_sees_its_own_messages_masked_and_a_code_hidden(db: Database, bank: Bank) -> None:
    near = {"number": "A012", "ahead": 3, "minutes": 8, "outlet": "甲网点"}
    _sent(db, bank, "13812345678", "OUT-A", Kind.TURN_NEAR, near)
    _sent(db, bank, "13900001111", "OUT-B", Kind.TURN_NEAR, {**near, "outlet": "乙网点"})
    _sent(
        db, bank, "13812345678", "OUT-A", Kind.VERIFICATION_CODE, {"code": "493817", "minutes": 5}
    )
    add_staff(db, bank, "lobby.a")
    page = staff_client(db, "lobby.a").get("/reach/messages")
    assert page.status_code == 200
    assert "前面还有3位" in page.text and "甲网点" in page.text
    assert "乙网点" not in page.text and "*******1111" not in page.text
    assert "*******5678" in page.text and "13812345678" not in page.text
    assert "493817" not in page.text and "验证码••••••" in page.text
    found = staff_client(db, "lobby.a").get("/reach/messages", params={"phone": "13812345678"})
    assert found.text.count('data-kind="') == 2
    wrong = staff_client(db, "lobby.a").get("/reach/messages", params={"phone": "12345"})
    assert wrong.status_code == 422 and "不是大陆手机号" in wrong.text


def test_a_teller_may_not_read_customer_messages(db: Database, bank: Bank) -> None:
    assert signed_in_client(db, "teller_a").get("/reach/messages").status_code == 403


def test_head_office_edits_the_words_a_branch_cannot_and_bad_words_are_refused(
    db: Database, bank: Bank
) -> None:
    admin = signed_in_client(db, "admin")
    form = {"kind": "called", "lang": "zh-CN", "text": "请{number}号到{counter}号窗口（满意银行）"}
    saved = admin.post(
        "/reach/templates",
        data={**form, "csrf_token": csrf_of(admin, "/reach/templates")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = admin.post(
        "/reach/templates",
        data={**form, "text": "请{name}", "csrf_token": csrf_of(admin, "/reach/templates")},
    )
    assert bad.status_code == 422 and "{name} 不是此消息的变量" in bad.text
    add_staff(db, bank, "admin.br.a")
    branch = staff_client(db, "admin.br.a")
    refused = branch.post(
        "/reach/templates",
        data={**form, "text": "改", "csrf_token": csrf_of(branch, "/reach/templates")},
    )
    assert refused.status_code == 403
    with db.session() as session:
        [row] = session.scalars(select(ReachTemplate)).all()
        assert row.text == form["text"]
        assert session.scalar(select(func.count()).select_from(ReachTemplate)) == 1
