"""The in-app inbox through the notification service (its page and API: test_notify_inbox.py):
delivered messages newest first, only the recipient marks one read, and a paged message reads
there.
"""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.db import Database
from manyi.errors import NotFound
from manyi.notify import service
from manyi.notify.channels import InAppChannel
from tests.conftest import Bank
from tests.notify_helpers import PHONE, T0, RecordingChannel, actor, add, page, people, row

__all__ = ["people"]  # fixture

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_inbox_shows_delivered_in_app_messages_newest_first(db: Database, bank: Bank) -> None:
    me = bank.staff["teller_a"]
    older = add(db, bank, subject="older")
    newer = add(db, bank, subject="newer")
    add(db, bank, channel="sms", address=PHONE)
    add(db, bank, to="head_a")
    with db.session() as session:
        assert service.inbox(session, me) == []  # not delivered yet
    service.deliver_due(db, {"in_app": InAppChannel(), "sms": RecordingChannel("sms")}, T0)
    with db.session() as session:
        items = service.inbox(session, me)
        assert [i.id for i in items] == [newer, older]
        assert all(i.unread and i.sent_at == T0 for i in items)
        assert service.unread_count(session, me) == 2
        assert [i.id for i in service.inbox(session, me, limit=1)] == [newer]


def test_only_the_recipient_marks_a_message_read(db: Database, bank: Bank) -> None:
    me, other = bank.staff["teller_a"], bank.staff["head_a"]
    message_id = add(db, bank)
    sms = add(db, bank, channel="sms", address=PHONE)
    with db.session() as session, pytest.raises(NotFound):
        service.mark_read(session, me, message_id, T0)  # not delivered yet
    service.deliver_due(db, {"in_app": InAppChannel(), "sms": RecordingChannel("sms")}, T0)
    for who, which in ((other, message_id), (me, sms), (me, 999_999)):
        with db.session() as session, pytest.raises(NotFound) as caught:
            service.mark_read(session, who, which, T0)
        assert caught.value.text() == f"no message {which}"
    read_at = T0 + dt.timedelta(minutes=1)
    with db.session() as session:
        service.mark_read(session, me, message_id, read_at)
    with db.session() as session:
        service.mark_read(session, me, message_id, read_at + dt.timedelta(hours=1))
    with db.session() as session:
        assert row(db, message_id).read_at == read_at
        assert service.inbox(session, me, unread_only=True) == []
        assert service.unread_count(session, me) == 0
        assert [i.id for i in service.inbox(session, me)] == [message_id]


def test_paged_message_reads_in_the_inbox(db: Database, bank: Bank, people: dict[str, int]) -> None:
    page(db, bank, actor(db, people["lobby_a"]), [people["support_a"]])
    service.deliver_due(db, {"in_app": InAppChannel()}, T0)
    with db.session() as session:
        [item] = service.inbox(session, people["support_a"])
    assert item.subject_text() == "Second-line support needed at 甲网点"
    zh = {service.PAGE_SUBJECT: "{unit}需要二线人员支援"}
    assert item.subject_text(lambda s: zh.get(s, s)) == "甲网点需要二线人员支援"
    assert item.created_by_id == people["lobby_a"]
