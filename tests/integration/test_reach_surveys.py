"""A survey invitation reaches a consenting customer as a text message (quality → reach)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.quality import ports, survey_rules, surveys
from manyi.reach import contacts, delivery
from manyi.reach.adapters.gateway import Channel
from manyi.reach.adapters.simulated import SimulatedGateway
from manyi.reach.survey_messages import SurveyMessages
from manyi.reach.tables import ReachMessage
from tests.conftest import FIXED_NOW, SYSTEM, Bank

PERSON = "person-key-of-li"


@pytest.fixture
def reach_plugged() -> Iterator[None]:
    ports.register_messages(SurveyMessages(ZoneInfo("Asia/Shanghai"), "https://manyi.bank.cn"))
    yield
    ports.register_messages(ports.NoMessages())


def _invite(db: Database, bank: Bank, key: str) -> None:
    with db.session() as session:
        survey_rules.set_rule(
            session, SYSTEM, "complaint", None, rate_percent=100, quiet_days=0, level="head_office"
        )
        visit = surveys.Visit(
            "complaint", key, bank.unit("OUT-A"), f"/{bank.unit('OUT-A')}/", None, None, PERSON
        )
        assert surveys.invite(session, visit, FIXED_NOW, 7)


def test_a_consenting_customer_gets_the_link(db: Database, bank: Bank, reach_plugged: None) -> None:
    with db.session() as session:
        contact = contacts.remember(session, "13712345678", FIXED_NOW, person_key=PERSON)
        contacts.record_consent(
            session, SYSTEM, contact, "survey", granted=True, source="complaint_form", now=FIXED_NOW
        )
    _invite(db, bank, "c:1")
    gateway = SimulatedGateway(Channel.SMS)
    assert delivery.deliver_due(db, {Channel.SMS: gateway}, FIXED_NOW).sent == 1
    with db.session() as session:
        message = session.scalars(select(ReachMessage)).one()
        link = message.params["link"]
    assert link.startswith("https://manyi.bank.cn/s/") and link.endswith("?via=message")
    assert message.unit_id == bank.unit("OUT-A") and message.dedupe_key == "survey:1"


def test_no_consent_or_no_contact_sends_nothing_and_the_invitation_stands(
    db: Database, bank: Bank, reach_plugged: None
) -> None:
    with db.session() as session:
        contacts.remember(session, "13712345678", FIXED_NOW, person_key=PERSON)
    _invite(db, bank, "c:1")
    later = FIXED_NOW + dt.timedelta(minutes=1)
    with db.session() as session:
        assert session.scalars(select(ReachMessage)).all() == []
        surveys_open = surveys.link_token(session, "c:1", later)
    assert surveys_open
