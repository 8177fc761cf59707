"""Running a bundle against the core: timeouts and retries post exactly once, the PIN block is
wiped whatever happens, and plans are checked before anything runs."""

from __future__ import annotations

import pytest

from manyi.counter.adapters.core import Posting
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import AFTER, BEFORE
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
from tests.bundle_execution_helpers import (
    RecordingCore,
    amount,
    make_core,
    one_pin,
    statuses,
    zhang_bundle,
)
from tests.simulated_core_helpers import K, balance, key_fixture, pad_fixture  # noqa: F401 (fixtures)

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
