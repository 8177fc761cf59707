"""Paging second-line staff through the notification outbox: a lobby manager pages outlet and
branch staff; paging outside the branch, or inactive staff, stores nothing; the request is
checked.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from tests.conftest import Bank
from tests.notify_helpers import actor, deactivate, page, page_events, people, rows

__all__ = ["people"]  # fixture

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_lobby_manager_pages_outlet_and_branch_staff(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    manager = actor(db, people["lobby_a"])
    recipients = [bank.staff["teller_a"], people["support_a"], bank.staff["teller_a"]]
    ids = page(db, bank, manager, recipients)
    assert len(ids) == 2  # one per recipient and channel; duplicates dropped
    stored = rows(db)
    assert {r.recipient_staff_id for r in stored} == {bank.staff["teller_a"], people["support_a"]}
    for message in stored:
        assert message.unit_id == bank.unit("OUT-A")
        assert message.created_by_id == people["lobby_a"]
        assert message.channel == "in_app" and message.body.startswith("窗口排队较长")
        assert message.data["kind"] == "lobby.page"
    assert page_events(db) == 1
    with db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "notify.page_staff"))
        assert event is not None and event.unit_id == bank.unit("OUT-A")
        assert json.loads(event.summary)["messages"] == ids


def test_paging_outside_the_branch_stores_nothing(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    manager = actor(db, people["lobby_a"])
    for outsider in (bank.staff["teller_b"], bank.staff["manager_br_a"], 999_999):
        with pytest.raises(InvalidInput) as caught:
            page(db, bank, manager, [bank.staff["teller_a"], outsider])
        assert caught.value.field == "recipients"
        assert caught.value.text() == (
            f"staff member {outsider} is not in the branch of 甲网点 and cannot be paged for it"
        )
    assert rows(db) == [] and page_events(db) == 0


def test_paging_inactive_staff_stores_nothing(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    deactivate(db, people["support_a"])
    with pytest.raises(InvalidInput) as caught:
        page(db, bank, actor(db, people["lobby_a"]), [bank.staff["teller_a"], people["support_a"]])
    assert caught.value.text() == "二线甲 is inactive and cannot be paged"
    assert rows(db) == [] and page_events(db) == 0


def test_paging_checks_the_request(db: Database, bank: Bank, people: dict[str, int]) -> None:
    manager = actor(db, people["lobby_a"])
    teller = [bank.staff["teller_a"]]
    with pytest.raises(NotFound):  # the outlet is outside the manager's scope
        page(db, bank, actor(db, people["lobby_b"]), teller)
    with pytest.raises(InvalidInput, match="write what support"):
        page(db, bank, manager, teller, message="  ")
    with pytest.raises(InvalidInput, match="at least one staff"):
        page(db, bank, manager, [])
    with pytest.raises(InvalidInput, match="unknown notification channel"):
        page(db, bank, manager, teller, channels=("pager",))
    with pytest.raises(InvalidInput, match="no mobile number") as caught:  # no phones yet
        page(db, bank, manager, teller, channels=("in_app", "sms"))
    assert caught.value.field == "recipients"
    assert rows(db) == [] and page_events(db) == 0
