"""The simulated core banking system against the port contract: idempotency, timeouts,
atomicity under concurrent tellers, and the posting and result types."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from manyi.counter.adapters.core import ErrorCode, Outcome, Posting, PostingResult
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import AFTER, BEFORE, SimulatedCore
from manyi.errors import InvalidInput
from tests.simulated_core_helpers import (  # noqa: F401 (fixtures)
    NEW_ID,
    TODAY,
    K,
    balance,
    clock_fixture,
    core_fixture,
    demo_fixture,
    failed,
    key_fixture,
    money,
    pad_fixture,
    pin,
)

# --- idempotency and timeouts ----------------------------------------------------------------


def test_same_key_returns_the_first_result_and_never_posts_twice(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["zhang_wei"]
    posting = Posting(K.WITHDRAW, card=card, amount=money("500"))
    first = core.post(posting, pin(pad, card, "123456"), "B1:1")
    again = core.post(posting, pin(pad, card, "123456"), "B1:1")
    without_pin = core.post(posting, None, "B1:1")
    assert first.posted and not first.replayed
    assert again.replayed and without_pin.replayed
    assert again.core_reference == first.core_reference
    assert again.outputs == first.outputs
    assert balance(core, account) == money("85500")
    assert [entry[0] for entry in core.journal] == ["B1:1"]


def test_a_failure_is_final_for_its_key(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["liu_yang"]
    posting = Posting(K.WITHDRAW, card=card, amount=money("500"))
    assert failed(core.post(posting, pin(pad, card, "112233"), "k"), ErrorCode.INSUFFICIENT_FUNDS)
    core.post(Posting(K.DEPOSIT, account=account, amount=money("1000")), None, "top-up")
    replay = core.post(posting, pin(pad, card, "112233"), "k")
    assert failed(replay, ErrorCode.INSUFFICIENT_FUNDS) and replay.replayed
    assert core.post(posting, pin(pad, card, "112233"), "k-new").posted


def test_a_key_reused_for_another_posting_is_refused(
    core: SimulatedCore, demo: dict[str, tuple[str, str]]
) -> None:
    account = demo["zhang_wei"][0]
    assert core.post(Posting(K.DEPOSIT, account=account, amount=money("10")), None, "k").posted
    other = core.post(Posting(K.DEPOSIT, account=account, amount=money("20")), None, "k")
    assert failed(other, ErrorCode.REJECTED) and "reused" in other.message
    assert balance(core, account) == money("86010")
    assert failed(
        core.post(Posting(K.DEPOSIT, account=account, amount=money("1")), None, ""),
        ErrorCode.REJECTED,
    )


@pytest.mark.parametrize("when", [AFTER, BEFORE])
def test_a_timeout_is_unknown_and_a_retry_posts_exactly_once(key: SessionKey, when: str) -> None:
    core = SimulatedCore(key, seed=1, faults={2: when}, today=lambda: TODAY)
    account, _ = core.seed_demo()["zhang_wei"]
    deposit = Posting(K.DEPOSIT, account=account, amount=money("100"))
    assert core.post(Posting(K.DEPOSIT, account=account, amount=money("1")), None, "first").posted
    lost = core.post(deposit, None, "B7:2")  # the 2nd call
    assert lost.outcome is Outcome.UNKNOWN and lost.code is ErrorCode.TIMEOUT
    applied = when == AFTER
    assert balance(core, account) == money("86101" if applied else "86001")
    retried = core.post(deposit, None, "B7:2")
    assert retried.posted and retried.replayed is applied
    assert balance(core, account) == money("86101")
    assert [k for k, _, _ in core.journal].count("B7:2") == 1


def test_concurrent_tellers_cannot_overdraw(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["liu_yang"]
    core.post(Posting(K.DEPOSIT, account=account, amount=money("19850")), None, "fund")  # 20,000
    blocks = [pin(pad, card, "112233") for _ in range(8)]
    results: list[PostingResult] = []
    lock = threading.Lock()

    def teller(n: int) -> None:
        for i in range(40):
            posting = Posting(K.WITHDRAW, card=card, amount=money("100"))
            result = core.post(posting, blocks[n], f"t{n}:{i}")
            with lock:
                results.append(result)

    threads = [threading.Thread(target=teller, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posted = [r for r in results if r.posted]
    assert len(posted) == 200
    assert all(r.code is ErrorCode.INSUFFICIENT_FUNDS for r in results if not r.posted)
    assert balance(core, account) == 0
    assert len(core.journal) == 201


# --- the posting and result types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": K.DEPOSIT}, "deposit needs an amount"),
        ({"kind": K.DEPOSIT, "amount": Decimal("0")}, "positive"),
        ({"kind": K.DEPOSIT, "amount": Decimal("-5")}, "positive"),
        ({"kind": K.DEPOSIT, "amount": Decimal("1.005")}, "2 decimals"),
        ({"kind": K.DEPOSIT, "amount": Decimal("Infinity")}, "positive"),
        ({"kind": K.CARD_LOSS, "currency": "rmb"}, "3-letter"),
    ],
)
def test_bad_postings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Posting(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Posting("teleport")  # type: ignore[arg-type]


def test_posting_repr_masks_personal_data() -> None:
    posting = Posting(
        K.OPEN_ACCOUNT,
        holder_name="赵敏",
        holder_id=NEW_ID,
        mobile="13905712345",
        card="6288889900593241",
    )
    text = repr(posting)
    for secret in (NEW_ID, "赵敏", "13905712345", "6288889900593241"):
        assert secret not in text
    assert "open_account" in text and "628888******3241" in text


def test_result_invariant() -> None:
    with pytest.raises(ValueError):
        PostingResult(Outcome.POSTED, ErrorCode.REJECTED)
    with pytest.raises(ValueError):
        PostingResult(Outcome.FAILED)
    result = PostingResult(Outcome.POSTED, outputs={"a": "1"})
    with pytest.raises(TypeError):
        result.outputs["a"] = "2"  # type: ignore[index]
