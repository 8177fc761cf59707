"""The simulated core banking system against the port contract: postings, failures,
idempotency, timeouts, atomicity and thread safety."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest

from manyi.counter.adapters.core import (
    CoreBanking,
    CoreQueryError,
    ErrorCode,
    Outcome,
    Posting,
    PostingKind,
    PostingResult,
)
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import AFTER, BEFORE, DEMO_CUSTOMERS, SimulatedCore
from manyi.errors import InvalidInput
from manyi.personal import luhn_ok

K = PostingKind
TODAY = dt.date(2026, 3, 10)
NEW_ID = "11010519491231002X"  # the widely published valid example


class Clock:
    def __init__(self) -> None:
        self.today = TODAY

    def __call__(self) -> dt.date:
        return self.today


@pytest.fixture
def key() -> SessionKey:
    return SessionKey.generate()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(key: SessionKey, clock: Clock) -> SimulatedCore:
    return SimulatedCore(key, seed=7, today=clock)


@pytest.fixture
def demo(core: SimulatedCore) -> dict[str, tuple[str, str]]:
    return core.seed_demo()


@pytest.fixture
def pad(key: SessionKey) -> SimulatedPinPad:
    return SimulatedPinPad(key)


def pin(pad: SimulatedPinPad, card: str, digits: str) -> PinBlock:
    pad.customer_types(digits)
    return pad.enter_pin(card, "enter PIN")


def money(text: str) -> Decimal:
    return Decimal(text)


def balance(core: SimulatedCore, account: str) -> Decimal:
    return core.balance(account).balance


def failed(result: PostingResult, code: ErrorCode) -> bool:
    return result.outcome is Outcome.FAILED and result.code is code


# --- the demo bank and determinism -------------------------------------------------------------


def test_it_is_a_core_banking_adapter(core: SimulatedCore) -> None:
    port: CoreBanking = core  # checked by mypy when the tests are type-checked
    assert port.post is not None


def test_demo_customers_are_seeded(core: SimulatedCore, demo: dict[str, tuple[str, str]]) -> None:
    assert set(demo) == set(DEMO_CUSTOMERS)
    account, card = demo["zhang_wei"]
    assert balance(core, account) == money("86000.00")
    assert card.startswith("628888") and len(card) == 16 and luhn_ok(card)
    assert core.balance(demo["wang_fang"][0]).frozen
    assert core.balance(demo["wang_fang"][0]).available == 0
    assert core.account(account).holder_name == "张伟"


def test_same_seed_same_numbers(key: SessionKey) -> None:
    first = SimulatedCore(key, seed=3, today=lambda: TODAY).seed_demo()
    again = SimulatedCore(key, seed=3, today=lambda: TODAY).seed_demo()
    other = SimulatedCore(key, seed=4, today=lambda: TODAY).seed_demo()
    assert first == again
    assert first != other


# --- postings ---------------------------------------------------------------------------------


def test_open_account_creates_a_number_and_takes_a_first_deposit(core: SimulatedCore) -> None:
    posting = Posting(
        K.OPEN_ACCOUNT,
        holder_name="赵敏",
        holder_id=NEW_ID,
        mobile="139 0571 2345",
        amount=money("500"),
    )
    result = core.post(posting, None, "open-1")
    assert result.posted, result.message
    number = result.outputs["account_number"]
    assert len(number) == 17 and number.isdigit()
    assert balance(core, number) == money("500")
    assert core.account(number).mobile == "13905712345"
    assert result.core_reference.startswith("J")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holder_id": "110105194912310022"}, "check digit"),
        ({"mobile": "12345"}, "mobile"),
        ({"holder_name": "  "}, "name is required"),
    ],
)
def test_open_account_refuses_bad_identity(
    core: SimulatedCore, changes: dict[str, str], message: str
) -> None:
    values: dict[str, Any] = {"holder_name": "赵敏", "holder_id": NEW_ID} | changes
    result = core.post(Posting(K.OPEN_ACCOUNT, **values), None, "open-bad")
    assert failed(result, ErrorCode.REJECTED)
    assert message in result.message
    assert core.journal == ()


def test_card_issue_sets_the_pin_typed_for_the_new_card(
    core: SimulatedCore, pad: SimulatedPinPad
) -> None:
    opened = core.post(Posting(K.OPEN_ACCOUNT, holder_name="赵敏", holder_id=NEW_ID), None, "o")
    account = opened.outputs["account_number"]
    issued = core.post(Posting(K.CARD_ISSUE, account=account), pin(pad, "", "808080"), "c")
    card = issued.outputs["card_number"]
    assert luhn_ok(card) and card.startswith("628888")
    core.post(Posting(K.DEPOSIT, account=account, amount=money("300")), None, "d")
    ok = core.post(
        Posting(K.WITHDRAW, card=card, amount=money("100")), pin(pad, card, "808080"), "w"
    )
    assert ok.posted and ok.outputs["balance_after"] == "200.00"


def test_mobile_banking_signup_and_change_of_mobile(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["zhang_wei"]
    signed = core.post(Posting(K.MOBILE_BANKING_SIGNUP, account=account), None, "m1")
    assert signed.outputs == {"mobile_banking": "enabled", "mobile": "138****5678"}
    assert core.account(account).mobile_banking
    no_pin = core.post(Posting(K.CHANGE_MOBILE, account=account, mobile="13900000000"), None, "m2")
    assert failed(no_pin, ErrorCode.PIN_INVALID)
    changed = core.post(
        Posting(K.CHANGE_MOBILE, account=account, mobile="13900000000"),
        pin(pad, card, "123456"),
        "m3",
    )
    assert changed.posted and core.account(account).mobile == "13900000000"


def test_deposit_and_withdraw_move_money(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["liu_yang"]
    core.post(Posting(K.DEPOSIT, account=account, amount=money("850.50")), None, "d1")
    result = core.post(
        Posting(K.WITHDRAW, card=card, amount=money("1000.50")), pin(pad, card, "112233"), "w1"
    )
    assert result.posted and result.outputs["balance_after"] == "0.00"
    assert balance(core, account) == 0


def test_insufficient_funds_changes_nothing(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["liu_yang"]
    result = core.post(
        Posting(K.WITHDRAW, card=card, amount=money("150.01")), pin(pad, card, "112233"), "w"
    )
    assert failed(result, ErrorCode.INSUFFICIENT_FUNDS)
    assert balance(core, account) == money("150.00")
    assert core.journal == ()


@pytest.mark.parametrize(
    ("typed", "on_card"),
    [("654321", "zhang_wei"), ("123456", "li_xiuying")],  # wrong PIN; right PIN, other card
)
def test_wrong_pin_is_refused(
    core: SimulatedCore,
    demo: dict[str, tuple[str, str]],
    pad: SimulatedPinPad,
    typed: str,
    on_card: str,
) -> None:
    account, card = demo["zhang_wei"]
    block = pin(pad, demo[on_card][1], typed)
    result = core.post(Posting(K.WITHDRAW, card=card, amount=money("10")), block, "w")
    assert failed(result, ErrorCode.PIN_INVALID)
    assert balance(core, account) == money("86000.00")


def test_a_wrong_pin_is_not_recorded_so_the_same_key_posts_with_the_right_pin(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["zhang_wei"]
    withdraw = Posting(K.WITHDRAW, card=card, amount=money("10"))
    wrong = core.post(withdraw, pin(pad, card, "654321"), "w")
    assert failed(wrong, ErrorCode.PIN_INVALID)
    assert "2 more wrong PIN(s) lock the card" in wrong.message
    assert core.card(card).wrong_pins == 1
    right = core.post(withdraw, pin(pad, card, "123456"), "w")
    assert right.posted and not right.replayed
    again = core.post(withdraw, pin(pad, card, "000000"), "w")  # the answer lost: replayed
    assert again.posted and again.replayed
    assert balance(core, account) == money("85990.00")
    assert core.card(card).wrong_pins == 0  # a right PIN resets the count
    assert len(core.journal) == 1


def test_the_cores_limit_of_wrong_pins_locks_the_card(
    key: SessionKey, clock: Clock, pad: SimulatedPinPad
) -> None:
    core = SimulatedCore(key, seed=7, today=clock, pin_tries=2)
    account, card = core.seed_demo()["zhang_wei"]
    withdraw = Posting(K.WITHDRAW, card=card, amount=money("10"))
    assert failed(core.post(withdraw, pin(pad, card, "111111"), "w"), ErrorCode.PIN_INVALID)
    locked = core.post(withdraw, pin(pad, card, "222222"), "w")
    assert failed(locked, ErrorCode.CARD_LOCKED)
    assert core.card(card).status == "locked"
    # Locked for good: the right PIN, by card or by account, is refused too.
    assert failed(core.post(withdraw, pin(pad, card, "123456"), "w"), ErrorCode.CARD_LOCKED)
    by_account = Posting(K.WITHDRAW, account=account, amount=money("10"))
    assert failed(core.post(by_account, pin(pad, card, "123456"), "a"), ErrorCode.CARD_LOCKED)
    assert balance(core, account) == money("86000.00")
    assert core.journal == ()


def test_a_block_for_another_card_is_not_counted_as_a_wrong_pin(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    _, card = demo["zhang_wei"]
    other = demo["li_xiuying"][1]
    withdraw = Posting(K.WITHDRAW, card=card, amount=money("10"))
    for key in ("w1", "w2", "w3"):
        assert failed(core.post(withdraw, pin(pad, other, "123456"), key), ErrorCode.PIN_INVALID)
    assert core.card(card).wrong_pins == 0
    assert core.card(card).status == "active"


def test_pin_is_required_for_debits_and_a_wiped_block_is_no_pin(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    _, card = demo["zhang_wei"]
    withdraw = Posting(K.WITHDRAW, card=card, amount=money("10"))
    assert failed(core.post(withdraw, None, "w1"), ErrorCode.PIN_INVALID)
    block = pin(pad, card, "123456")
    block.wipe()
    assert failed(core.post(withdraw, block, "w2"), ErrorCode.PIN_INVALID)


def test_frozen_account_receives_but_pays_nothing(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["wang_fang"]
    out = core.post(
        Posting(K.WITHDRAW, account=account, amount=money("1")), pin(pad, card, "135790"), "w"
    )
    assert failed(out, ErrorCode.FROZEN_ACCOUNT)
    assert core.post(Posting(K.DEPOSIT, account=account, amount=money("1")), None, "d").posted
    assert balance(core, account) == money("12001.00")


def test_transfer_is_atomic(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    payer, card = demo["zhang_wei"]
    payee = demo["liu_yang"][0]

    def transfer(amount: str, to: str, key: str) -> PostingResult:
        posting = Posting(K.TRANSFER, card=card, amount=money(amount), counterpart_account=to)
        return core.post(posting, pin(pad, card, "123456"), key)

    assert failed(transfer("90000", payee, "t1"), ErrorCode.INSUFFICIENT_FUNDS)
    assert failed(transfer("100", "33019999999999999", "t2"), ErrorCode.ACCOUNT_NOT_FOUND)
    assert failed(transfer("100", payer, "t3"), ErrorCode.REJECTED)
    assert (balance(core, payer), balance(core, payee)) == (money("86000"), money("150"))
    assert transfer("6000", payee, "t4").posted
    assert (balance(core, payer), balance(core, payee)) == (money("80000"), money("6150"))
    assert len(core.journal) == 1


def test_currency_must_match_the_account(
    core: SimulatedCore, demo: dict[str, tuple[str, str]]
) -> None:
    account = demo["zhang_wei"][0]
    result = core.post(
        Posting(K.DEPOSIT, account=account, amount=money("5"), currency="USD"), None, "d"
    )
    assert failed(result, ErrorCode.REJECTED) and "CNY" in result.message
    usd, _ = core.open_demo_account("陈静", NEW_ID, "5000.00", "246802", currency="USD")
    assert core.post(
        Posting(K.DEPOSIT, account=usd, amount=money("5"), currency="USD"), None, "u"
    ).posted


def test_card_loss_blocks_the_card_and_replacement_keeps_the_pin(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["zhang_wei"]
    assert core.post(Posting(K.CARD_LOSS, card=card), None, "l1").outputs == {"card_status": "lost"}
    assert core.card(card).status == "lost"
    again = core.post(Posting(K.CARD_LOSS, card=card), None, "l2")
    assert failed(again, ErrorCode.REJECTED)
    assert failed(
        core.post(Posting(K.CARD_LOSS, card="6288880000000000"), None, "l3"),
        ErrorCode.CARD_NOT_FOUND,
    )
    lost = core.post(
        Posting(K.WITHDRAW, card=card, amount=money("1")), pin(pad, card, "123456"), "w1"
    )
    assert failed(lost, ErrorCode.FROZEN_ACCOUNT)

    replaced = core.post(Posting(K.CARD_REPLACE, card=card), None, "r1")
    new = replaced.outputs["card_number"]
    assert new != card and luhn_ok(new) and core.card(card).status == "replaced"
    ok = core.post(Posting(K.WITHDRAW, card=new, amount=money("1")), pin(pad, new, "123456"), "w2")
    assert ok.posted, ok.message
    assert balance(core, account) == money("85999")


def test_term_deposit_and_early_withdrawal_at_the_demand_rate(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad, clock: Clock
) -> None:
    account, card = demo["zhang_wei"]
    bad = Posting(K.TERM_DEPOSIT, account=account, amount=money("50000"), term_months=7)
    assert failed(core.post(bad, pin(pad, card, "123456"), "t0"), ErrorCode.REJECTED)
    posting = Posting(K.TERM_DEPOSIT, account=account, amount=money("50000"), term_months=12)
    opened = core.post(posting, pin(pad, card, "123456"), "t1")
    assert opened.outputs["rate"] == "0.95"
    assert opened.outputs["maturity_date"] == "2027-03-10"
    term = opened.outputs["account_number"]
    assert balance(core, account) == money("36000")
    assert balance(core, term) == money("50000")

    clock.today = TODAY + dt.timedelta(days=90)
    early = Posting(K.TERM_EARLY_WITHDRAW, account=term, card=card, counterpart_account=account)
    paid = core.post(early, pin(pad, card, "123456"), "t2")
    assert paid.posted, paid.message
    # 50,000 × 0.05 % × 90 / 360 = 6.25
    assert paid.outputs == {"interest": "6.25", "paid": "50006.25", "days": "90"}
    assert balance(core, account) == money("86006.25")
    assert core.balance(term).closed


def test_an_early_withdrawal_checks_the_pin_of_the_holders_own_card(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad, clock: Clock
) -> None:
    # A term account has no card: the PIN is checked against the card of the account paid into.
    account, card = demo["zhang_wei"]
    posting = Posting(K.TERM_DEPOSIT, account=account, amount=money("10000"), term_months=12)
    term = core.post(posting, pin(pad, card, "123456"), "e1").outputs["account_number"]
    clock.today = TODAY + dt.timedelta(days=30)
    early = Posting(K.TERM_EARLY_WITHDRAW, account=term, counterpart_account=account)
    assert failed(core.post(early, pin(pad, card, "654321"), "e2"), ErrorCode.PIN_INVALID)
    assert core.post(early, pin(pad, card, "123456"), "e3").posted


def test_term_deposit_month_end_maturity(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad, clock: Clock
) -> None:
    account, card = demo["zhang_wei"]
    clock.today = dt.date(2027, 8, 31)
    posting = Posting(K.TERM_DEPOSIT, account=account, amount=money("1000"), term_months=6)
    assert (
        core.post(posting, pin(pad, card, "123456"), "t").outputs["maturity_date"] == "2028-02-29"
    )


def test_bill_payment_and_wealth_purchase_debit(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["li_xiuying"]

    def post(posting: Posting, key: str) -> PostingResult:
        return core.post(posting, pin(pad, card, "246810"), key)

    bill = Posting(
        K.BILL_PAY, account=account, amount=money("312.40"), counterpart_account="STATE-GRID"
    )
    assert failed(post(bill, "b0"), ErrorCode.REJECTED)  # no bill number
    unknown = Posting(
        K.BILL_PAY, account=account, amount=money("1"), counterpart_account="NOPE", reference="1"
    )
    assert failed(post(unknown, "b1"), ErrorCode.REJECTED)
    paid = post(
        Posting(
            K.BILL_PAY,
            account=account,
            amount=money("312.40"),
            counterpart_account="STATE-GRID",
            reference="2026-02-0571",
        ),
        "b2",
    )
    assert paid.posted and paid.outputs["balance_after"] == "319687.60"

    small = Posting(K.WEALTH_BUY, account=account, amount=money("9999.99"), product_code="WM90D")
    assert failed(post(small, "w0"), ErrorCode.REJECTED)
    bought = post(
        Posting(K.WEALTH_BUY, account=account, amount=money("10000"), product_code="WM90D"), "w1"
    )
    assert bought.outputs == {"product": "WM90D", "holding": "10000.00"}
    assert balance(core, account) == money("309687.60")


def test_close_account_pays_out_and_cancels_cards(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, card = demo["liu_yang"]
    wrong = Posting(K.CLOSE_ACCOUNT, account=account, amount=money("100"))
    assert failed(core.post(wrong, pin(pad, card, "112233"), "c0"), ErrorCode.REJECTED)
    closing = Posting(K.CLOSE_ACCOUNT, account=account, amount=money("150"))
    result = core.post(closing, pin(pad, card, "112233"), "c1")
    assert result.outputs == {"paid_out": "150.00"}
    assert core.balance(account).closed and balance(core, account) == 0
    assert core.card(card).status == "cancelled"
    after = core.post(Posting(K.DEPOSIT, account=account, amount=money("1")), None, "d")
    assert failed(after, ErrorCode.FROZEN_ACCOUNT)


def test_balance_of_an_unknown_account(core: SimulatedCore) -> None:
    with pytest.raises(CoreQueryError) as caught:
        core.balance("33010000000000000")
    assert caught.value.code is ErrorCode.ACCOUNT_NOT_FOUND


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


# --- a card sent by post is activated; a forgotten or locked PIN is reset ---------------------


ZHANG_ID = DEMO_CUSTOMERS["zhang_wei"][1]


def test_a_card_sent_by_post_is_activated_with_the_pin_the_customer_chooses(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    account, _card = demo["zhang_wei"]
    new = core.mail_card(account)
    assert core.card(new).status == "inactive" and luhn_ok(new)
    withdraw = Posting(K.WITHDRAW, card=new, amount=money("10"))
    assert failed(core.post(withdraw, pin(pad, new, "123456"), "w0"), ErrorCode.FROZEN_ACCOUNT)
    activate = Posting(K.CARD_ACTIVATE, card=new, holder_id=ZHANG_ID)
    assert failed(core.post(activate, None, "a0"), ErrorCode.PIN_INVALID)  # the new PIN is asked
    someone_else = Posting(K.CARD_ACTIVATE, card=new, holder_id=DEMO_CUSTOMERS["liu_yang"][1])
    assert failed(core.post(someone_else, pin(pad, new, "975310"), "a1"), ErrorCode.REJECTED)
    assert core.card(new).status == "inactive"
    done = core.post(activate, pin(pad, new, "975310"), "a2")
    assert done.posted and done.outputs == {"card_status": "active"}
    assert core.post(withdraw, pin(pad, new, "975310"), "w1").posted
    again = core.post(activate, pin(pad, new, "975310"), "a3")
    assert failed(again, ErrorCode.REJECTED) and "active" in again.message
    unknown = Posting(K.CARD_ACTIVATE, card="6288880000000000", holder_id=ZHANG_ID)
    assert failed(
        core.post(unknown, pin(pad, unknown.card, "975310"), "a4"), ErrorCode.CARD_NOT_FOUND
    )


def test_a_pin_reset_sets_the_new_pin_and_unlocks_a_locked_card(
    key: SessionKey, clock: Clock, pad: SimulatedPinPad
) -> None:
    core = SimulatedCore(key, seed=7, today=clock, pin_tries=2)
    account, card = core.seed_demo()["zhang_wei"]
    withdraw = Posting(K.WITHDRAW, card=card, amount=money("10"))
    core.post(withdraw, pin(pad, card, "111111"), "w1")
    assert failed(core.post(withdraw, pin(pad, card, "222222"), "w1"), ErrorCode.CARD_LOCKED)
    reset = Posting(K.PASSWORD_RESET, card=card, holder_id=ZHANG_ID)
    done = core.post(reset, pin(pad, card, "864200"), "r1")
    assert done.posted and core.card(card).status == "active" and core.card(card).wrong_pins == 0
    assert failed(core.post(withdraw, pin(pad, card, "123456"), "w2"), ErrorCode.PIN_INVALID)
    assert core.post(withdraw, pin(pad, card, "864200"), "w3").posted
    assert balance(core, account) == money("85990.00")
    # A lost card is not reset (it is replaced), and another customer's ID is refused.
    lost = Posting(K.CARD_LOSS, card=card)
    assert core.post(lost, None, "l1").posted
    assert failed(core.post(reset, pin(pad, card, "111222"), "r2"), ErrorCode.REJECTED)


def test_a_reset_needs_the_holders_id_and_the_new_pin(
    core: SimulatedCore, demo: dict[str, tuple[str, str]], pad: SimulatedPinPad
) -> None:
    _account, card = demo["zhang_wei"]
    for holder in ("", DEMO_CUSTOMERS["li_xiuying"][1]):
        refused = core.post(
            Posting(K.PASSWORD_RESET, card=card, holder_id=holder),
            pin(pad, card, "864200"),
            "h" + holder,
        )
        assert failed(refused, ErrorCode.REJECTED) and "another customer" in refused.message
    no_pin = core.post(Posting(K.PASSWORD_RESET, card=card, holder_id=ZHANG_ID), None, "n")
    assert failed(no_pin, ErrorCode.PIN_INVALID)
    other_pan = pin(pad, demo["li_xiuying"][1], "864200")  # typed for another card
    wrong = core.post(Posting(K.PASSWORD_RESET, card=card, holder_id=ZHANG_ID), other_pan, "o")
    assert failed(wrong, ErrorCode.PIN_INVALID)
    assert core.journal == ()
