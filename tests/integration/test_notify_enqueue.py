"""Putting a message in the notification outbox on a real database: it commits and rolls back
with the business change, bad input and inactive recipients are refused, SMS numbers are
normalised, and a dedupe key notifies once.
"""

from __future__ import annotations

import pytest

from manyi.db import Database
from manyi.errors import InvalidInput
from manyi.notify import service
from tests.conftest import Bank
from tests.notify_helpers import PHONE, T0, add, deactivate, row, rows

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_enqueue_commits_and_rolls_back_with_the_business_change(db: Database, bank: Bank) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        service.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=bank.staff["teller_a"],
            subject="lost",
            body="",
            now=T0,
            unit_id=bank.unit("OUT-A"),
        )
        raise RuntimeError("the business change failed")
    assert rows(db) == []
    kept = add(db, bank)
    [only] = rows(db)
    assert only.id == kept
    assert (only.state, only.attempts, only.next_attempt_at) == ("pending", 0, T0)
    assert only.address is None and only.data == {}


@pytest.mark.parametrize(
    ("changes", "field_name", "text"),
    [
        ({"channel": "fax"}, "channel", "unknown notification channel fax"),
        ({"subject": "   "}, "subject", "a notification needs a subject"),
        ({"subject": "x" * 201}, "subject", "longer than 200"),
        ({"body": "x" * 2001}, "body", "longer than 2000"),
        ({"channel": "sms"}, "recipient_staff_id", "柜员甲 has no mobile number for SMS"),
        ({"channel": "sms", "address": "call me"}, "address", "call me is not a mobile number"),
        ({"recipient_staff_id": 999_999}, "recipient_staff_id", "no staff member 999999"),
        ({"dedupe_key": " "}, "dedupe_key", "dedupe key"),
    ],
)
def test_enqueue_refuses_bad_input(
    db: Database, bank: Bank, changes: dict[str, object], field_name: str, text: str
) -> None:
    arguments: dict[str, object] = {
        "channel": "in_app",
        "recipient_staff_id": bank.staff["teller_a"],
        "subject": "Please come to counter 3",
        "body": "",
        "now": T0,
        "unit_id": bank.unit("OUT-A"),
        **changes,
    }
    with pytest.raises(InvalidInput) as caught, db.session() as session:
        service.enqueue(session, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field_name
    assert text in caught.value.text()
    assert rows(db) == []


def test_enqueue_refuses_inactive_recipient(db: Database, bank: Bank) -> None:
    deactivate(db, bank.staff["teller_a"])
    with pytest.raises(InvalidInput, match="inactive"):
        add(db, bank)


def test_sms_keeps_the_normalised_number(db: Database, bank: Bank) -> None:
    message_id = add(db, bank, channel="sms", address=PHONE)
    assert row(db, message_id).address == "13812345678"


def test_dedupe_key_notifies_once(db: Database, bank: Bank) -> None:
    first = add(db, bank, dedupe_key="complaint:7:due-soon")
    again = add(db, bank, dedupe_key="complaint:7:due-soon", subject="second try")
    other = add(db, bank, dedupe_key="complaint:8:due-soon")
    assert first == again != other
    assert [r.subject for r in rows(db)] == ["Please come to counter 3"] * 2
