"""A customer replies TD (退订) to a text: every consent of that number is withdrawn, audited
with the number masked; other replies are ignored. By the simulated gateway, by the worker's
pass, and end to end over SMPP with the test SMSC."""

from __future__ import annotations

import logging
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.config import load_settings
from manyi.db import Database
from manyi.reach import contacts, delivery, jobs, messages, replies
from manyi.reach.adapters.gateway import Channel
from manyi.reach.adapters.simulated import SimulatedGateway
from manyi.reach.adapters.smpp import SmppGateway
from manyi.reach.domain.messages import Kind
from manyi.reach.tables import ReachConsent, ReachMessage
from tests.conftest import FIXED_NOW, SYSTEM, Bank
from tests.smpp_server import PASSWORD, smpp_server
from tests.web_helpers import csrf_of, signed_in_client

ZONE = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
LATER = FIXED_NOW.replace(minute=10)


def _customer(db: Database, phone: str = PHONE) -> None:
    with db.session() as session:
        contact = contacts.remember(session, phone, FIXED_NOW)
        for purpose in ("queue", "appointment", "complaint"):
            contacts.record_consent(
                session, SYSTEM, contact, purpose, granted=True, source="status_page", now=FIXED_NOW
            )


def _standing(db: Database, phone: str = PHONE) -> dict[str, tuple[bool, str]]:
    """Each purpose's latest decision (granted, source)."""
    with db.session() as session:
        contact = contacts.by_phone(session, phone)
        assert contact is not None
        rows = session.scalars(
            select(ReachConsent)
            .where(ReachConsent.contact_id == contact.id)
            .order_by(ReachConsent.at, ReachConsent.id)
        ).all()
        return {row.purpose: (row.granted, row.source) for row in rows}


def _send(db: Database, kind: Kind, params: dict[str, object]) -> str:
    with db.session() as session:
        contact = contacts.by_phone(session, PHONE)
        return messages.send(session, contact, kind, params, LATER, ZONE).state


def test_td_withdraws_every_purpose_audited_with_the_number_masked(
    db: Database, bank: Bank
) -> None:
    _customer(db)
    with db.session() as session:  # waiting in the outbox when the customer replies
        contact = contacts.by_phone(session, PHONE)
        waiting = messages.send(session, contact, Kind.CALLED, {"number": "A9"}, FIXED_NOW, ZONE)
        code = {"code": "111111", "minutes": 5}
        first_code = messages.send(session, contact, Kind.VERIFICATION_CODE, code, FIXED_NOW, ZONE)
    gateway = SimulatedGateway(Channel.SMS)
    gateway.reply("+86 138-1234-5678", " ＴＤ。")  # as an SMSC may give the sender; full-width
    assert replies.record_replies(db, {Channel.SMS: gateway}, LATER) == 1
    with db.session() as session:
        held = session.get_one(ReachMessage, waiting.message_id)
        assert (held.state, held.reason) == ("suppressed", "the customer replied TD")
        assert session.get_one(ReachMessage, first_code.message_id).state == "pending"

    every = ("queue", "appointment", "complaint", "survey", "visit")
    assert _standing(db) == dict.fromkeys(every, (False, "sms_reply"))
    assert _send(db, Kind.CALLED, {"number": "A1", "counter": "3"}) == "no_consent"
    # A code the customer asks for later needs no consent: TD does not lock them out.
    assert _send(db, Kind.VERIFICATION_CODE, {"code": "493817", "minutes": 5}) == "pending"
    with db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "reach.consent_withdrawn")
        ).all()
    assert len(events) == len(every)
    assert all("*******5678" in e.summary and "sms_reply" in e.summary for e in events)
    assert not any(PHONE in e.summary for e in events)
    assert all(e.actor == "system" for e in events)


def test_other_replies_and_unknown_senders_change_nothing(
    db: Database, bank: Bank, caplog: pytest.LogCaptureFixture
) -> None:
    _customer(db)
    before = _standing(db)
    gateway = SimulatedGateway(Channel.SMS)
    gateway.reply(PHONE, "好的，谢谢提醒")
    gateway.reply(PHONE, "TD please call me")
    gateway.reply("13900001111", "TD")  # manyi never had this number
    gateway.reply("10086", "TD")  # no mobile number
    caplog.set_level(logging.INFO, logger="manyi.reach")
    assert replies.record_replies(db, {Channel.SMS: gateway}, LATER) == 0
    assert _standing(db) == before
    assert "*******5678" in caplog.text and "*******1111" in caplog.text
    assert PHONE not in caplog.text and "13900001111" not in caplog.text
    assert "谢谢" not in caplog.text  # the text is the customer's: never logged


def test_the_worker_pass_reads_replies_and_counts_them(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "_gateways", {})  # this test's gateways go with it
    _customer(db)
    settings = load_settings(database_url=db.url)
    [gateway] = jobs.gateways(settings).values()
    assert isinstance(gateway, SimulatedGateway)
    gateway.reply(PHONE, "退订")
    report = jobs.run_once(db, settings, LATER)
    assert report.withdrawals == 1
    assert "withdrawals 1" in report.line()
    assert _standing(db)["queue"] == (False, "sms_reply")


def test_a_reply_over_smpp_from_the_smsc_withdraws(db: Database, bank: Bank) -> None:
    _customer(db)
    assert _send(db, Kind.CALLED, {"number": "A1", "counter": "3"}) == "pending"
    with smpp_server() as server:
        gateway = SmppGateway(
            host="127.0.0.1",
            port=server.port,
            system_id="manyi",
            password=PASSWORD,
            source_addr="1069012345",
            timeout_s=2.0,
        )
        try:
            assert delivery.deliver_due(db, {Channel.SMS: gateway}, LATER).sent == 1
            server.send_reply("8613812345678", "退订")  # UCS-2, as handsets send Chinese
            withdrew = 0
            deadline = time.monotonic() + 5
            while not withdrew and time.monotonic() < deadline:
                withdrew = replies.record_replies(db, {Channel.SMS: gateway}, LATER)
                time.sleep(0.01)
            assert withdrew == 1
            assert delivery.record_receipts(db, {Channel.SMS: gateway}, LATER) == 1
        finally:
            gateway.close()
    assert _standing(db)["appointment"] == (False, "sms_reply")


def test_the_consents_page_says_where_a_withdrawal_came_from(db: Database, bank: Bank) -> None:
    _customer(db)
    assert _send(db, Kind.CALLED, {"number": "A1", "counter": "3"}) == "pending"
    gateway = SimulatedGateway(Channel.SMS)
    gateway.reply(PHONE, "TD")
    replies.record_replies(db, {Channel.SMS: gateway}, LATER)
    admin = signed_in_client(db, "admin")
    token = csrf_of(admin, "/reach/consents")
    page = admin.post("/reach/consents", data={"phone": PHONE, "csrf_token": token})
    assert page.status_code == 200
    assert page.text.count("短信回复退订") == 5
    held = admin.get("/reach/messages?state=suppressed")
    assert "客户已回复退订" in held.text and "*******5678" in held.text
    admin.get("/lang/en")
    english = admin.post("/reach/consents", data={"phone": PHONE, "csrf_token": token})
    assert "the customer&#39;s SMS reply (TD)" in english.text
