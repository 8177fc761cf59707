"""Running a bundle against the core: the happy path with a single PIN entry, and failures
mid-bundle (insufficient funds, a frozen account, missing values, wrong and locked PINs)."""

from __future__ import annotations

import pytest

from manyi.counter.adapters.core import ErrorCode, Posting
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.domain.execution import (
    BundleItem,
    ItemStatus,
    PinRequired,
    RunStatus,
    execute,
    plan_bundle,
    retry,
    run_bundle,
)
from tests.bundle_execution_helpers import (
    RecordingCore,
    amount,
    make_core,
    one_pin,
    statuses,
    zhang_bundle,
)
from tests.simulated_core_helpers import NEW_ID, TODAY, K, balance, key_fixture, pad_fixture  # noqa: F401 (fixtures)

# --- the happy path and the single PIN -----------------------------------------------------------


def test_one_pin_entry_serves_every_pin_item(key: SessionKey, pad: SimulatedPinPad) -> None:
    sim, demo = make_core(key)
    core = RecordingCore(sim)
    account, card = demo["zhang_wei"]
    block = one_pin(pad, card, "123456")
    run = run_bundle(core, "B-0001", zhang_bundle(account, card, demo["liu_yang"][0]), block)
    assert run.status is RunStatus.COMPLETED
    assert pad.entries == 1
    # The block goes to the PIN items only, each with its own stable key.
    assert core.calls == [
        (K.DEPOSIT, "B-0001:1", False),
        (K.WITHDRAW, "B-0001:2", True),
        (K.TRANSFER, "B-0001:3", True),
        (K.BILL_PAY, "B-0001:4", True),
    ]
    assert balance(sim, account) == amount("86000") + 2000 - 5000 - 30000 - 200
    assert block.wiped
    assert [i.core_reference for i in run.items] == [
        "J00000001",
        "J00000002",
        "J00000003",
        "J00000004",
    ]


def test_new_customer_bundle_uses_the_account_just_opened(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, _ = make_core(key)
    items = [
        BundleItem(
            Posting(K.OPEN_ACCOUNT, holder_name="赵敏", holder_id=NEW_ID, mobile="13905712345")
        ),
        BundleItem(Posting(K.CARD_ISSUE, account="@item1.account_number"), needs_pin=True),
        BundleItem(Posting(K.MOBILE_BANKING_SIGNUP, account="@item1.account_number")),
        BundleItem(Posting(K.DEPOSIT, account="@item1.account_number", amount=amount("1000"))),
    ]
    run = run_bundle(sim, "B-0002", items, one_pin(pad, "", "808080"))  # a PIN for the new card
    assert run.status is RunStatus.COMPLETED, [i.message for i in run.items]
    account = run.item(1).outputs["account_number"]
    assert balance(sim, account) == amount("1000")
    assert sim.account(account).mobile_banking
    card = run.item(2).outputs["card_number"]
    withdraw = Posting(K.WITHDRAW, card=card, amount=amount("10"))
    assert sim.post(withdraw, one_pin(pad, card, "808080"), "later").posted


# --- failures mid-bundle -------------------------------------------------------------------------


def test_insufficient_funds_on_item_3_of_4(key: SessionKey, pad: SimulatedPinPad) -> None:
    sim, demo = make_core(key)
    account, card = demo["zhang_wei"]
    items = zhang_bundle(account, card, demo["liu_yang"][0])
    items[2] = BundleItem(
        Posting(
            K.TRANSFER, card=card, amount=amount("90000"), counterpart_account=demo["liu_yang"][0]
        ),
        needs_pin=True,
    )
    block = one_pin(pad, card, "123456")
    run = run_bundle(sim, "B-0003", items, block)
    assert statuses(run) == [
        ItemStatus.POSTED,
        ItemStatus.POSTED,
        ItemStatus.FAILED,
        ItemStatus.POSTED,
    ]
    assert run.item(3).code is ErrorCode.INSUFFICIENT_FUNDS
    assert run.status is RunStatus.PARTIAL
    # Items 1, 2 and 4 posted in full, item 3 left no trace.
    assert balance(sim, account) == amount("86000") + 2000 - 5000 - 200
    assert balance(sim, demo["liu_yang"][0]) == amount("150")
    assert len(sim.journal) == 3
    assert block.wiped


def test_frozen_account_fails_and_its_dependants_are_skipped(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    frozen, card = demo["wang_fang"]
    items = [
        BundleItem(
            Posting(K.TERM_DEPOSIT, account=frozen, amount=amount("5000"), term_months=12),
            needs_pin=True,
            label="term deposit",
        ),
        BundleItem(
            Posting(K.MOBILE_BANKING_SIGNUP, account="@item1.account_number", mobile="13700000000")
        ),
        BundleItem(Posting(K.DEPOSIT, account=frozen, amount=amount("100"))),  # independent
    ]
    run = run_bundle(sim, "B-0004", items, one_pin(pad, card, "135790"))
    assert statuses(run) == [ItemStatus.FAILED, ItemStatus.SKIPPED, ItemStatus.POSTED]
    assert run.item(1).code is ErrorCode.FROZEN_ACCOUNT
    assert run.item(2).message == "item 1 (term deposit) did not post (frozen_account)"
    assert run.status is RunStatus.PARTIAL


def test_explicit_requirement_without_a_value(key: SessionKey) -> None:
    sim, _ = make_core(key)
    items = [
        BundleItem(Posting(K.CARD_LOSS, card="6288880000000001")),
        BundleItem(Posting(K.CARD_REPLACE, card="6288880000000001"), requires=frozenset({1})),
    ]
    run = run_bundle(sim, "B-0005", items, None)
    assert statuses(run) == [ItemStatus.FAILED, ItemStatus.SKIPPED]
    assert run.item(1).code is ErrorCode.CARD_NOT_FOUND
    assert "item 1 (card_loss) did not post (card_not_found)" in run.item(2).message
    assert run.status is RunStatus.FAILED


def test_a_missing_output_skips_the_item(key: SessionKey) -> None:
    sim, demo = make_core(key)
    account = demo["zhang_wei"][0]
    items = [
        BundleItem(Posting(K.DEPOSIT, account=account, amount=amount("1"))),
        BundleItem(Posting(K.DEPOSIT, account="@item1.card_number", amount=amount("1"))),
    ]
    run = run_bundle(sim, "B-0006", items, None)
    assert run.item(2).status is ItemStatus.SKIPPED
    assert run.item(2).message == "item 1 (deposit) has no output card_number"


def test_a_wrong_pin_stops_the_run_and_the_right_one_resumes_it_under_the_same_keys(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    account, card = demo["zhang_wei"]
    recording = RecordingCore(sim)
    items = zhang_bundle(account, card, demo["liu_yang"][0])
    wrong = one_pin(pad, card, "000000")
    run = run_bundle(recording, "B-0007", items, wrong)
    assert statuses(run) == [ItemStatus.POSTED, ItemStatus.PIN_WRONG] + [ItemStatus.PENDING] * 2
    assert run.status is RunStatus.PIN_WRONG and run.wrong_pins == 1
    assert run.item(2).code is ErrorCode.PIN_INVALID
    assert (
        run.item(3).message == "waiting for item 2 (withdraw), whose PIN the customer types again"
    )
    assert wrong.wiped and len(sim.journal) == 1  # the deposit only

    with pytest.raises(PinRequired):
        retry(recording, run)  # a new PIN entry is needed
    assert retry(recording, run, one_pin(pad, card, "123456")).status is RunStatus.COMPLETED
    assert [key for _, key, _ in recording.calls] == [
        "B-0007:1",
        "B-0007:2",
        "B-0007:2",  # the same key again: the wrong PIN was not recorded
        "B-0007:3",
        "B-0007:4",
    ]
    assert len(sim.journal) == 4  # nothing posted twice
    assert balance(sim, account) == amount("86000") + 2000 - 5000 - 30000 - 200


def test_the_banks_limit_of_pin_entries_fails_the_item_and_skips_the_other_pin_items(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    account, card = demo["zhang_wei"]
    items = zhang_bundle(account, card, demo["liu_yang"][0])
    items.append(BundleItem(Posting(K.DEPOSIT, account=account, amount=amount("7"))))
    run = plan_bundle("B-0017", items)
    run.pin_tries = 2
    assert execute(sim, run, one_pin(pad, card, "000000")).status is RunStatus.PIN_WRONG
    execute(sim, run, one_pin(pad, card, "999999"))
    assert statuses(run) == [
        ItemStatus.POSTED,
        ItemStatus.FAILED,
        ItemStatus.SKIPPED,
        ItemStatus.SKIPPED,
        ItemStatus.POSTED,  # needs no PIN: it still runs
    ]
    assert run.item(2).code is ErrorCode.PIN_INVALID
    assert run.item(2).message == "wrong PIN 2 times: the bank's limit for a visit"
    assert run.item(3).message == "item 2 (withdraw): the PIN was not accepted"
    assert run.item(3).code is ErrorCode.PIN_INVALID  # why it was never sent
    assert run.status is RunStatus.PARTIAL
    assert sim.card(card).status == "active"  # the core's limit (3) was not reached
    execute(sim, run, None)  # finished: nothing to send, no PIN asked
    assert len(sim.journal) == 2


def test_a_card_the_core_locks_fails_at_once(key: SessionKey, pad: SimulatedPinPad) -> None:
    sim = SimulatedCore(key, seed=11, today=lambda: TODAY, pin_tries=1)
    account, card = sim.seed_demo()["zhang_wei"]
    run = run_bundle(sim, "B-0027", zhang_bundle(account, card, "x"), one_pin(pad, card, "000000"))
    assert statuses(run) == [ItemStatus.POSTED, ItemStatus.FAILED] + [ItemStatus.SKIPPED] * 2
    assert run.item(2).code is ErrorCode.CARD_LOCKED
    assert run.status is RunStatus.PARTIAL
    assert sim.card(card).status == "locked"
