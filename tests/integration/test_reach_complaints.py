"""A complainant who asks for text messages hears "received" and "decided"; others nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.db import Database
from manyi.reach.tables import ReachConsent, ReachMessage
from tests.complaint_bank import ComplaintBank, cb
from tests.complaint_public_helpers import client, decide, file_complaint

__all__ = ["cb", "client"]  # fixtures

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _messages(db: Database) -> list[tuple[str, dict[str, str]]]:
    with db.session() as session:
        rows = session.scalars(select(ReachMessage).order_by(ReachMessage.id)).all()
        return [(m.kind, dict(m.params)) for m in rows]


def test_received_then_decided_when_the_complainant_asked(
    db: Database, cb: ComplaintBank, client: TestClient
) -> None:
    reference, _code = file_complaint(client, cb, sms="yes")
    [(kind, params)] = _messages(db)
    assert kind == "complaint_received" and params["reference"] == reference
    assert params["deadline"][:4] == "2026" and params["link"].endswith("/complaint/status")
    decide(db, cb, reference, "已改进叫号安排，向您致歉。")
    assert [k for k, _ in _messages(db)] == ["complaint_received", "complaint_decided"]
    with db.session() as session:
        consent = session.scalars(select(ReachConsent)).one()
        assert (consent.purpose, consent.source) == ("complaint", "complaint_form")


def test_no_text_message_without_the_box_ticked(
    db: Database, cb: ComplaintBank, client: TestClient
) -> None:
    reference, _code = file_complaint(client, cb)
    decide(db, cb, reference, "已改进。")
    assert _messages(db) == []


def test_a_decision_left_unanswered_asks_for_the_answer_once_before_it_closes(
    db: Database, cb: ComplaintBank, client: TestClient
) -> None:
    from manyi.complaints import escalation
    from manyi.complaints.tables import Complaint

    reference, _code = file_complaint(client, cb, sms="yes")
    decide(db, cb, reference, "已改进。")
    with db.session() as session:
        case = session.scalars(select(Complaint).where(Complaint.reference == reference)).one()
        decided_at, check_at = case.decided_at, case.next_check_at
    assert decided_at is not None and check_at is not None
    remind_at = check_at  # the scan wakes for the reminder first
    escalation.scan(db, remind_at - dt.timedelta(minutes=1))
    assert [k for k, _ in _messages(db)] == ["complaint_received", "complaint_decided"]
    escalation.scan(db, remind_at)
    escalation.scan(db, remind_at + dt.timedelta(hours=1))
    kinds = [k for k, _ in _messages(db)]
    assert kinds == ["complaint_received", "complaint_decided", "complaint_needs_answer"]
    with db.session() as session:
        case = session.scalars(select(Complaint).where(Complaint.reference == reference)).one()
        assert case.state == "decided" and case.next_check_at > remind_at  # now: the closing
