"""The simulated core banking system against the port contract: the demo bank, accounts and
the postings that move money (deposits, withdrawals, transfers, term deposits, bills, closing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from manyi.counter.adapters.core import (
    CoreBanking,
    CoreQueryError,
    ErrorCode,
    Posting,
    PostingResult,
)
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS, SimulatedCore
from manyi.personal import luhn_ok
from tests.simulated_core_helpers import (  # noqa: F401 (fixtures)
    NEW_ID,
    TODAY,
    Clock,
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
