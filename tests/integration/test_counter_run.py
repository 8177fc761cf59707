"""Running bundles through the simulated core: one PIN entry, results per item, failures
mid-bundle, safe retries, and bundles made on a catalogue version that has since changed."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from manyi.counter import authorisations, bundles, catalogue_store, running, store
from manyi.counter.adapters.core import Balance, Posting, PostingResult
from manyi.counter.adapters.id_reader import IdCardData
from manyi.counter.adapters.pin_pad import PinBlock, PinEntryCancelled
from manyi.counter.adapters.simulated_core import AFTER, SimulatedCore
from manyi.counter.prefill import FormInvalid
from manyi.counter.tables import CounterAuthorisation, CounterBundle, CounterBundleItem
from manyi.db import Database
from manyi.errors import Conflict
from manyi.personal import id_check_char
from tests.conftest import Bank
from tests.counter_helpers import (
    FOUR,
    MINUTE,
    Sim,
    act,
    clerk,
    customer,
    four_items,
    make_sim,
    open_bundle,
    ready,
    setup_counter,
    submit,
)
from tests.lobby_helpers import T0


def items(db: Database, reference: str) -> list[CounterBundleItem]:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        return store.items_of(session, bundle)


def run(db: Database, sim: Sim, reference: str, core: object = None) -> running.RunOutcome:
    outcome: running.RunOutcome = act(
        db,
        "teller.a",
        running.run,
        reference,
        T0 + 5 * MINUTE,
        pin_pad=sim.pad,
        core=core or sim.core,
    )
    return outcome


def test_one_pin_entry_serves_every_item_that_needs_it(db: Database, sim: Sim) -> None:
    account = sim.account("zhang_wei")
    reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
    sim.pad.customer_types("123456")
    outcome = run(db, sim, reference)
    assert outcome.status.value == "completed" and outcome.pin_entered
    assert sim.pad.entries == 1
    assert outcome.bundle.state == "done" and outcome.bundle.pin_entries == 1
    stored = items(db, reference)
    assert [i.status for i in stored] == ["posted"] * 4
    assert all(i.core_reference.startswith("J") for i in stored)
    assert stored[3].outputs["biller"] == "City water"
    assert [i.payer for i in stored] == ["card"] * 4  # the customer wrote their card number
    # 86,000 + 2,000 − 500 − 30,000 − 88.50
    assert sim.core.balance(account).balance == Decimal("57411.50")
    assert [key for key, _, _ in sim.core.journal] == [f"{reference}:{n}" for n in (1, 2, 3, 4)]
    with pytest.raises(Conflict):  # done is done
        run(db, sim, reference)


def test_insufficient_funds_on_item_three_fails_only_item_three(db: Database, sim: Sim) -> None:
    # 刘洋 has 150.00: the deposit and the small withdrawal post, the transfer cannot.
    reference = ready(db, sim, "liu_yang", FOUR, four_items(sim, "liu_yang", third="5000"))
    sim.pad.customer_types("112233")
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "partial"
    stored = items(db, reference)
    assert [(i.status, i.error_code) for i in stored] == [
        ("posted", None),
        ("posted", None),
        ("failed", "insufficient_funds"),
        ("posted", None),
    ]
    assert sim.core.balance(sim.account("liu_yang")).balance == Decimal("1561.50")
    with pytest.raises(Conflict):  # a failed item is final; doing it again is a new bundle
        run(db, sim, reference)


def test_a_lost_answer_interrupts_and_the_retry_never_posts_twice(db: Database, bank: Bank) -> None:
    setup_counter(db, bank)
    sim = make_sim(call3=AFTER)  # the transfer is applied, its answer lost
    account, payee = sim.account("zhang_wei"), sim.account("liu_yang")
    reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
    sim.pad.customer_types("123456")
    first = run(db, sim, reference)
    assert first.bundle.state == "interrupted"
    stored = items(db, reference)
    assert [i.status for i in stored] == ["posted", "posted", "unknown", "pending"]
    assert stored[2].error_code == "timeout" and stored[2].attempts == 1
    assert "waiting for item 3" in stored[3].message
    # The retry needs the PIN again (items 3 and 4 need it), once; a cancelled entry stops it.
    sim.pad.customer_cancels()
    with pytest.raises(PinEntryCancelled):
        run(db, sim, reference)
    assert [i.status for i in items(db, reference)] == ["posted", "posted", "unknown", "pending"]
    sim.pad.customer_types("123456")
    second = run(db, sim, reference)
    assert second.bundle.state == "done" and second.bundle.pin_entries == 2
    stored = items(db, reference)
    assert [i.status for i in stored] == ["posted"] * 4
    assert stored[2].replayed and stored[2].attempts == 2
    assert [key for key, _, _ in sim.core.journal].count(f"{reference}:3") == 1
    assert sim.core.balance(account).balance == Decimal("57411.50")
    assert sim.core.balance(payee).balance == Decimal("30150.00")


class ExplodingCore:
    """The simulated core behind an adapter whose connection drops on one call."""

    def __init__(self, inner: SimulatedCore, explode_on: int) -> None:
        self.inner, self.explode_on, self.calls = inner, explode_on, 0

    def post(self, posting: Posting, pin_block: PinBlock | None, key: str) -> PostingResult:
        self.calls += 1
        result = self.inner.post(posting, pin_block, key)
        if self.calls == self.explode_on:
            raise ConnectionResetError("connection reset by core")
        return result

    def balance(self, account: str) -> Balance:
        return self.inner.balance(account)


def test_an_adapter_that_raises_leaves_the_item_unknown_for_a_retry(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
    sim.pad.customer_types("123456")
    outcome = run(db, sim, reference, ExplodingCore(sim.core, explode_on=2))
    assert outcome.adapter_error == "ConnectionResetError"
    assert outcome.bundle.state == "interrupted"
    assert [i.status for i in items(db, reference)] == ["posted", "unknown", "pending", "pending"]
    sim.pad.customer_types("123456")
    assert run(db, sim, reference).bundle.state == "done"
    assert len(sim.core.journal) == 4


def li_xiuying_60000(db: Database, sim: Sim) -> str:
    """README's walk-through: 李秀英 (78) deposits 1,000 and withdraws 60,000, authorised."""
    values = customer(sim, "li_xiuying") | {
        "item1.amount": "1000",
        "item1.currency": "CNY",
        "item2.amount": "60000",
        "item2.currency": "CNY",
    }
    reference = ready(db, sim, "li_xiuying", ["deposit", "withdraw"], values)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    return reference


def bundle_row(db: Database, reference: str) -> CounterBundle:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        session.expunge(bundle)
        return bundle


def test_a_wrong_pin_is_typed_again_with_the_same_authorisation_and_posts_once(
    db: Database, sim: Sim
) -> None:
    reference = li_xiuying_60000(db, sim)
    account = sim.account("li_xiuying")
    before = sim.core.balance(account).balance
    sim.pad.customer_types("111111")
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "pin_retry"
    assert [(i.status, i.error_code) for i in items(db, reference)] == [
        ("posted", None),
        ("pin_wrong", "pin_invalid"),
    ]
    assert len(sim.core.journal) == 1  # the deposit; the withdrawal posted nothing

    sim.pad.customer_types("246810")  # the right PIN; no new request, no new card read
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "done"
    assert [(i.status, i.error_code, i.attempts) for i in items(db, reference)] == [
        ("posted", None, 1),
        ("posted", None, 2),
    ]
    assert [key for key, _, _ in sim.core.journal] == [f"{reference}:1", f"{reference}:2"]
    assert sim.core.balance(account).balance == before + 1000 - 60000
    bundle = bundle_row(db, reference)
    assert (bundle.pin_entries, bundle.wrong_pins) == (2, 1)
    with db.session() as session:
        requests = session.scalars(
            select(CounterAuthorisation).where(CounterAuthorisation.bundle_id == bundle.id)
        ).all()
        assert [r.state for r in requests] == ["approved"]  # the one approval served both


def test_the_banks_last_pin_try_ends_the_item_as_the_core_locks_the_card(
    db: Database, sim: Sim
) -> None:
    reference = li_xiuying_60000(db, sim)
    for typed in ("111111", "222222"):
        sim.pad.customer_types(typed)
        assert run(db, sim, reference).bundle.state == "pin_retry"
    sim.pad.customer_types("333333")
    assert run(db, sim, reference).bundle.state == "partial"
    assert [(i.status, i.error_code) for i in items(db, reference)] == [
        ("posted", None),
        ("failed", "card_locked"),  # the core's own limit is 3 too: it locked the card
    ]
    assert sim.core.card(sim.card("li_xiuying")).status == "locked"
    assert bundle_row(db, reference).wrong_pins == 2  # the third was answered card_locked
    with pytest.raises(Conflict):  # finished: the next step is the signature
        run(db, sim, reference)


def test_the_bank_may_offer_fewer_pin_tries_than_the_core_allows(db: Database, sim: Sim) -> None:
    reference = li_xiuying_60000(db, sim)
    sim.pad.customer_types("111111")
    outcome: running.RunOutcome = act(
        db,
        "teller.a",
        running.run,
        reference,
        T0 + 5 * MINUTE,
        pin_pad=sim.pad,
        core=sim.core,
        pin_tries=1,
    )
    assert outcome.bundle.state == "partial"
    assert [(i.status, i.error_code) for i in items(db, reference)][1] == ("failed", "pin_invalid")
    assert sim.core.card(sim.card("li_xiuying")).status == "active"


def test_a_customer_who_does_not_know_the_pin_stops_and_the_card_is_spared(
    db: Database, sim: Sim
) -> None:
    reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
    with pytest.raises(Conflict):  # nothing to stop before a wrong PIN
        act(
            db,
            "teller.a",
            running.run,
            reference,
            T0,
            pin_pad=sim.pad,
            core=sim.core,
            stop_pin=True,
        )
    sim.pad.customer_types("654321")
    assert run(db, sim, reference).bundle.state == "pin_retry"
    entries = sim.pad.entries
    outcome: running.RunOutcome = act(
        db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core, stop_pin=True
    )
    assert outcome.bundle.state == "partial" and not outcome.pin_entered
    assert sim.pad.entries == entries  # no PIN asked
    assert [(i.status, i.error_code) for i in items(db, reference)] == [
        ("posted", None),
        ("failed", "pin_invalid"),
        ("skipped", "pin_invalid"),  # never sent: the PIN was not accepted
        ("skipped", "pin_invalid"),
    ]
    assert sim.core.card(sim.card("zhang_wei")).wrong_pins == 1
    assert len(sim.core.journal) == 1


def test_a_cancelled_pin_entry_sends_nothing(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
    sim.pad.customer_cancels()
    with pytest.raises(PinEntryCancelled):
        run(db, sim, reference)
    assert [i.status for i in items(db, reference)] == ["pending"] * 4
    assert sim.core.journal == ()
    sim.pad.customer_types("123456")
    assert run(db, sim, reference).bundle.state == "done"


def new_customer_card() -> IdCardData:
    first17 = "11010519900307123"
    number = first17 + id_check_char(first17)
    return IdCardData(
        name="赵新",
        id_number=number,
        sex="M",
        birth_date=dt.date(1990, 3, 7),
        address="北京市西城区复兴门内大街55号",
        issuing_authority="北京市公安局西城分局",
        valid_from=dt.date(2020, 1, 1),
        valid_until=dt.date(2040, 1, 1),
    )


def test_a_new_customer_opens_an_account_and_a_card_with_its_new_pin(
    db: Database, sim: Sim
) -> None:
    card = new_customer_card()
    values = {
        "customer_name": card.name,
        "id_type": "resident_id",
        "id_number": card.id_number,
        "mobile": "13900001111",
        "id_valid_until": "2040-01-01",
        "address": card.address,
        "occupation": "professional",
        "item1.account_type": "class_i",
        "item2.card_product": "standard",
        "item3.daily_limit": "5000",
        "item4.amount": "1000",
        "item4.currency": "CNY",
    }
    codes = ["open_account", "card_issue", "mobile_banking_signup", "deposit"]
    reference = open_bundle(db, "teller.a", submit(db, codes, values))
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    sim.reader.place(card)
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    sim.pad.customer_types("246802")  # the new card's PIN
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "done" and sim.pad.entries == 1
    stored = items(db, reference)
    account = stored[0].outputs["account_number"]
    new_card = stored[1].outputs["card_number"]
    assert stored[1].item_values["account_number"] == "@item1.account_number"
    assert sim.core.card(new_card).account == account
    assert sim.core.balance(account).balance == Decimal("1000.00")
    assert sim.core.account(account).mobile_banking


def test_a_bundle_made_on_v1_still_validates_and_runs_on_v1_after_v2(
    db: Database, sim: Sim
) -> None:
    values = customer(sim, "zhang_wei") | {"item1.amount": "300", "item1.currency": "CNY"}
    reference = open_bundle(db, "teller.a", submit(db, ["withdraw"], values))
    with db.session() as session:
        current = catalogue_store.get_type(session, "withdraw")
        edited = copy.deepcopy(dict(current.schema))
        edited["required"] = [*edited["required"], "purpose"]  # v2 asks the purpose
        catalogue_store.edit(session, clerk(session, "admin"), "withdraw", edited, T0)
    with pytest.raises(FormInvalid) as refused:  # new pre-fills use v2
        submit(db, ["withdraw"], values)
    assert refused.value.field == "item1.purpose"
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)  # still checked on v1
    sim.pad.customer_types("123456")
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "done"
    assert [(i.code, i.version) for i in items(db, reference)] == [("withdraw", 1)]
