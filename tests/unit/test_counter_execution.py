"""Running bundles: order, one PIN, dependencies, failures mid-bundle, safe retries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from manyi.counter.adapters.core import Balance, ErrorCode, Posting, PostingKind, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import AFTER, BEFORE, SimulatedCore
from manyi.counter.domain.execution import (
    BundleItem,
    ItemStatus,
    PinRequired,
    RunStatus,
    execute,
    idempotency_key,
    plan_bundle,
    retry,
    run_bundle,
)
from manyi.errors import InvalidInput

K = PostingKind
TODAY = dt.date(2026, 3, 10)
NEW_ID = "11010519491231002X"


class RecordingCore:
    """A fake around the simulated core that remembers every call and can break on one."""

    def __init__(self, inner: SimulatedCore, explode_on: int = 0) -> None:
        self.inner = inner
        self.calls: list[tuple[PostingKind, str, bool]] = []  # kind, key, PIN given
        self.explode_on = explode_on

    def post(
        self, posting: Posting, pin_block: PinBlock | None, idempotency_key: str
    ) -> PostingResult:
        self.calls.append((posting.kind, idempotency_key, pin_block is not None))
        if len(self.calls) == self.explode_on:
            raise RuntimeError("connection reset by core")
        return self.inner.post(posting, pin_block, idempotency_key)

    def balance(self, account: str) -> Balance:
        return self.inner.balance(account)


@pytest.fixture
def key() -> SessionKey:
    return SessionKey.generate()


@pytest.fixture
def pad(key: SessionKey) -> SimulatedPinPad:
    return SimulatedPinPad(key)


def make_core(key: SessionKey, **faults: str) -> tuple[SimulatedCore, dict[str, tuple[str, str]]]:
    plan = {int(call.removeprefix("call")): when for call, when in faults.items()}
    core = SimulatedCore(key, seed=11, faults=plan, today=lambda: TODAY)
    return core, core.seed_demo()


def one_pin(pad: SimulatedPinPad, card: str, digits: str) -> PinBlock:
    pad.customer_types(digits)
    return pad.enter_pin(card, "请输入密码")


def amount(text: str) -> Decimal:
    return Decimal(text)


def balance(core: SimulatedCore, account: str) -> Decimal:
    return core.balance(account).balance


def statuses(run: object) -> list[ItemStatus]:
    return [i.status for i in run.items]  # type: ignore[attr-defined]


def zhang_bundle(account: str, card: str, payee: str) -> list[BundleItem]:
    """Deposit, withdrawal, transfer, bill payment for 张伟: three of them need the PIN."""
    return [
        BundleItem(Posting(K.DEPOSIT, account=account, amount=amount("2000")), label="deposit"),
        BundleItem(Posting(K.WITHDRAW, card=card, amount=amount("5000")), needs_pin=True),
        BundleItem(
            Posting(K.TRANSFER, card=card, amount=amount("30000"), counterpart_account=payee),
            needs_pin=True,
        ),
        BundleItem(
            Posting(
                K.BILL_PAY,
                card=card,
                amount=amount("200"),
                counterpart_account="WATER",
                reference="W-1",
            ),
            needs_pin=True,
        ),
    ]


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


# --- timeouts and retries ------------------------------------------------------------------------


@pytest.mark.parametrize("when", [AFTER, BEFORE])
def test_timeout_then_retry_posts_exactly_once(
    key: SessionKey, pad: SimulatedPinPad, when: str
) -> None:
    sim, demo = make_core(key, call2=when)
    account, card = demo["zhang_wei"]
    payee = demo["liu_yang"][0]
    block = one_pin(pad, card, "123456")
    run = run_bundle(sim, "B-0008", zhang_bundle(account, card, payee), block)
    assert statuses(run) == [
        ItemStatus.POSTED,
        ItemStatus.UNKNOWN,
        ItemStatus.PENDING,
        ItemStatus.PENDING,
    ]
    assert run.status is RunStatus.NEEDS_RETRY
    assert run.item(3).message == "waiting for item 2 (withdraw), whose result is unknown"
    assert block.wiped

    with pytest.raises(PinRequired):
        retry(sim, run)  # PIN items are left: the customer types the PIN again
    assert statuses(run)[1] is ItemStatus.UNKNOWN

    run = retry(sim, run, one_pin(pad, card, "123456"))
    assert run.status is RunStatus.COMPLETED
    assert run.item(2).attempts == 2
    assert run.item(2).replayed is (when == AFTER)  # the core had applied it before the timeout
    keys = [k for k, _, _ in sim.journal]
    assert keys == ["B-0008:1", "B-0008:2", "B-0008:3", "B-0008:4"]
    assert balance(sim, account) == amount("86000") + 2000 - 5000 - 30000 - 200


def test_retrying_a_finished_run_sends_nothing(key: SessionKey) -> None:
    sim, demo = make_core(key)
    core = RecordingCore(sim)
    items = [BundleItem(Posting(K.DEPOSIT, account=demo["zhang_wei"][0], amount=amount("1")))]
    run = run_bundle(core, "B-0009", items, None)
    retry(core, run)
    assert len(core.calls) == 1


def test_the_same_bundle_sent_again_is_answered_from_the_record(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    account, card = demo["zhang_wei"]
    items = zhang_bundle(account, card, demo["liu_yang"][0])
    first = run_bundle(sim, "B-0010", items, one_pin(pad, card, "123456"))
    second = run_bundle(sim, "B-0010", items, one_pin(pad, card, "123456"))  # e.g. a double click
    assert first.status is second.status is RunStatus.COMPLETED
    assert all(i.replayed for i in second.items)
    assert len(sim.journal) == 4


def test_keys_depend_only_on_bundle_and_item() -> None:
    assert idempotency_key("B-1", 3) == "B-1:3" == idempotency_key("B-1", 3)
    run = plan_bundle("B-1", [BundleItem(Posting(K.CARD_LOSS, card="1"))] * 3)
    assert [i.key for i in run.items] == ["B-1:1", "B-1:2", "B-1:3"]


# --- the PIN block is wiped whatever happens -----------------------------------------------------


def test_pin_is_wiped_when_the_adapter_raises_mid_bundle(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    core = RecordingCore(sim, explode_on=3)
    account, card = demo["zhang_wei"]
    run = plan_bundle("B-0011", zhang_bundle(account, card, demo["liu_yang"][0]))
    block = one_pin(pad, card, "123456")
    with pytest.raises(RuntimeError, match="connection reset"):
        execute(core, run, block)
    assert block.wiped
    assert statuses(run) == [
        ItemStatus.POSTED,
        ItemStatus.POSTED,
        ItemStatus.UNKNOWN,
        ItemStatus.PENDING,
    ]
    assert "RuntimeError" in run.item(3).message

    retry(core, run, one_pin(pad, card, "123456"))
    assert run.status is RunStatus.COMPLETED
    assert len(sim.journal) == 4


def test_missing_or_wiped_pin_stops_the_bundle_before_anything_is_sent(
    key: SessionKey, pad: SimulatedPinPad
) -> None:
    sim, demo = make_core(key)
    core = RecordingCore(sim)
    account, card = demo["zhang_wei"]
    items = zhang_bundle(account, card, demo["liu_yang"][0])
    with pytest.raises(PinRequired):
        run_bundle(core, "B-0012", items, None)
    block = one_pin(pad, card, "123456")
    block.wipe()
    with pytest.raises(PinRequired):
        run_bundle(core, "B-0012", items, block)
    assert core.calls == []


def test_pin_is_wiped_when_the_plan_is_refused(pad: SimulatedPinPad, key: SessionKey) -> None:
    sim, _ = make_core(key)
    block = one_pin(pad, "6288889900593241", "123456")
    with pytest.raises(InvalidInput):
        run_bundle(sim, "bad id with spaces", [BundleItem(Posting(K.CARD_LOSS, card="1"))], block)
    assert block.wiped


# --- plans are checked before anything runs ------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle_id", "items", "message"),
    [
        ("", [BundleItem(Posting(K.CARD_LOSS, card="1"))], "bundle id"),
        ("B 1", [BundleItem(Posting(K.CARD_LOSS, card="1"))], "bundle id"),
        ("B-1", [], "1 to 20 items"),
        ("B-1", [BundleItem(Posting(K.CARD_LOSS, card="1"))] * 21, "1 to 20 items"),
        (
            "B-1",
            [BundleItem(Posting(K.CARD_ISSUE, account="@item1.account_number"))],
            "depends on item 1",
        ),
        (
            "B-1",
            [
                BundleItem(Posting(K.CARD_LOSS, card="1"), requires=frozenset({2})),
                BundleItem(Posting(K.CARD_LOSS, card="2")),
            ],
            "depends on item 2",
        ),
        (
            "B-1",
            [BundleItem(Posting(K.CARD_ISSUE, account="@item0.account_number"))],
            "is not a reference",
        ),
        (
            "B-1",
            [BundleItem(Posting(K.CARD_ISSUE, account="@first.account"))],
            "is not a reference",
        ),
    ],
)
def test_bad_plans_are_refused(bundle_id: str, items: list[BundleItem], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_bundle(bundle_id, items)
    assert message in caught.value.text()
