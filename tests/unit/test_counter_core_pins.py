"""The simulated core banking system against the port contract: cards and PINs (the PIN typed
for a new card, wrong PINs and the lock, card loss and replacement, activation, PIN reset)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.counter.adapters.core import ErrorCode, Posting
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
