"""A simulated core banking system for the demo and the tests.

It keeps its own accounts, cards and journal and honours the contract in `core`: idempotency
by key, atomic postings, UNKNOWN on timeouts. Every handler checks everything before it
changes anything, and `post` runs under one lock, so an item is applied entirely or not at
all and concurrent tellers cannot overdraw an account.

Realistic failures arise from the data (insufficient funds, a frozen account, a lost card,
a wrong PIN); wrong PINs are counted per card and the `pin_tries`-th in a row locks the card
(``card_locked``, as a real core does; a right PIN resets the count). Timeouts come from
the fault plan, e.g. ``faults={2: AFTER}``: call 2 is applied but its answer is lost;
``BEFORE``: the request never arrived. Both are safe to retry.

Frozen accounts follow the usual judicial freeze (只收不付): deposits are accepted, every
debit is refused. Interest follows the Chinese savings convention: annual rate / 360 per
day. Card numbers use a fictitious BIN (628888) with a valid Luhn digit; all numbers come
from one generator seeded by `seed`, so a seed always gives the same accounts and cards.
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial

from manyi.counter.adapters import core
from manyi.counter.adapters.core import ErrorCode, Posting, PostingKind, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedHsm
from manyi.counter.adapters.simulated_customers import DEMO_CUSTOMERS, open_demo_customers
from manyi.counter.adapters.simulated_ledger import (
    BILLERS,
    DEMAND_RATE,
    PRODUCTS,
    TERM_RATES,
    ZERO,
    Fail,
    SimAccount,
    SimCard,
    add_months,
    card_number,
    checked,
    early_interest,
    require,
)
from manyi.personal import check_mobile, check_resident_id, mask_phone

__all__ = ["AFTER", "BEFORE", "DEMO_CUSTOMERS", "SimAccount", "SimCard", "SimulatedCore"]

K = PostingKind
PIN_REQUIRED = {K.WITHDRAW, K.TRANSFER, K.CHANGE_MOBILE, K.TERM_EARLY_WITHDRAW, K.BILL_PAY}
PIN_REQUIRED |= {K.WEALTH_BUY, K.CLOSE_ACCOUNT, K.CARD_ACTIVATE, K.PASSWORD_RESET}
E = ErrorCode
BEFORE, AFTER = "before", "after"  # a timeout before or after the core applied the posting
REJECTED, PIN_INVALID, INSUFFICIENT = E.REJECTED, E.PIN_INVALID, E.INSUFFICIENT_FUNDS
PIN_TRIES = 3  # wrong PINs in a row that lock a card (the core's rule, not the counter's)


Outputs = dict[str, str]
Clock = Callable[[], dt.date]
Journal = list[tuple[str, PostingKind, str]]  # per applied posting: key, kind, core reference
Faults = dict[int, str]  # the fault plan: call number (from 1) → BEFORE or AFTER
_today = dt.date.today
_failed = partial(PostingResult, core.Outcome.FAILED)
_unknown = partial(PostingResult, core.Outcome.UNKNOWN, ErrorCode.TIMEOUT)


class SimulatedCore:
    """The simulated core; `key` is the session key shared with the simulated PIN pad."""

    def __init__(
        self,
        key: SessionKey,
        *,
        seed: int = 0,
        faults: Faults | None = None,
        today: Clock = _today,
        pin_tries: int = PIN_TRIES,
    ) -> None:
        self.pin_tries = pin_tries
        self._rng = random.Random(seed)  # noqa: S311 - demo numbers, not secrets
        self._hsm = SimulatedHsm(key, self._rng.randbytes(32))
        self.faults: Faults = dict(faults or {})  # tests may add faults as they go
        self.calls = 0
        self._today = today
        self._lock = threading.Lock()
        self._accounts: dict[str, SimAccount] = {}
        self._cards: dict[str, SimCard] = {}
        self._records: dict[str, tuple[Posting, PostingResult]] = {}
        self._journal: Journal = []
        # Demo customers' cards sent by post, inactive until `card_activate`: short → card.
        self.mailed_cards: dict[str, str] = {}

    def post(
        self, posting: Posting, pin_block: PinBlock | None, idempotency_key: str
    ) -> PostingResult:
        with self._lock:
            self.calls += 1
            fault = self.faults.get(self.calls)
            if fault == BEFORE:
                return _unknown("the core did not answer in time (request lost)")
            result = self._post_once(posting, pin_block, idempotency_key)
            if fault == AFTER:
                return _unknown("the core did not answer in time (answer lost)")
            return result

    def balance(self, account: str) -> core.Balance:
        with self._lock:
            if (a := self._accounts.get(account)) is None:
                raise core.CoreQueryError(E.ACCOUNT_NOT_FOUND, "no such account")
            available = ZERO if a.frozen or a.closed else a.balance
            return core.Balance(a.number, a.currency, a.balance, available, a.frozen, a.closed)

    def account(self, number: str) -> SimAccount:
        with self._lock:
            return copy.deepcopy(self._accounts[number])

    def card(self, number: str) -> SimCard:
        with self._lock:
            return copy.deepcopy(self._cards[number])

    @property
    def journal(self) -> tuple[tuple[str, PostingKind, str], ...]:
        """Every applied posting: (idempotency key, kind, core reference)."""
        with self._lock:
            return tuple(self._journal)

    def open_demo_account(
        self, holder_name: str, holder_id: str, balance: str, pin: str, **options: str
    ) -> tuple[str, str]:
        """Seed an account and its card (back office, not a posting): (account, card).

        Options: ``currency`` (default CNY), ``mobile``, ``frozen`` (any non-empty value);
        ``mailed_card`` is `seed_demo`'s.
        """
        with self._lock:
            acct = self._new_account(holder_name, holder_id, options.get("currency", "CNY"))
            acct.balance, acct.mobile = Decimal(balance), options.get("mobile", "")
            acct.frozen = bool(options.get("frozen"))
            card = self._new_card(acct.number)
            card.pin_digest = self._hsm.pvv_for_demo(pin, card.pin_salt)
            return acct.number, card.number

    def mail_card(self, account: str) -> str:
        """Make a new card for `account` as the card centre does for a card sent by post
        (back office, not a posting): inactive, with no PIN, until `card_activate`."""
        with self._lock:
            acct = self._accounts[account]
            card = self._new_card(acct.number)
            card.status = "inactive"
            return card.number

    def seed_demo(self) -> dict[str, tuple[str, str]]:
        """Open DEMO_CUSTOMERS' accounts: short name → (account, card) (`open_demo_customers`)."""
        return open_demo_customers(self)

    def _post_once(self, posting: Posting, pin: PinBlock | None, key: str) -> PostingResult:
        if not key:
            return _failed(REJECTED, "an idempotency key is required")
        if (recorded := self._records.get(key)) is not None:
            if recorded[0] != posting:
                return _failed(REJECTED, "idempotency key reused for another posting")
            return replace(recorded[1], replayed=True)
        try:
            needs_pin = posting.kind in PIN_REQUIRED and pin is None
            require(not needs_pin, PIN_INVALID, "this transaction needs the customer's PIN")
            outputs = getattr(self, f"_do_{posting.kind.value}")(posting, pin)
        except Fail as fail:
            result = _failed(*fail.args)
            if fail.args[0] is PIN_INVALID:  # not recorded: the same key may bring a new PIN
                return result
        else:
            reference = f"J{len(self._journal) + 1:08d}"
            self._journal.append((key, posting.kind, reference))
            result = PostingResult(core.Outcome.POSTED, outputs=outputs, core_reference=reference)
        self._records[key] = (posting, result)
        return result

    # Lookups and checks raise Fail and change nothing; handlers check, then change.

    def _acct(self, number: str, *, debit: bool = False, currency: str = "") -> SimAccount:
        acct = self._accounts.get(number)
        if acct is None:
            raise Fail(E.ACCOUNT_NOT_FOUND, "no such account")
        require(not acct.closed, E.FROZEN_ACCOUNT, "the account is closed")
        require(not (debit and acct.frozen), E.FROZEN_ACCOUNT, "the account is frozen")
        require(currency in ("", acct.currency), REJECTED, f"the account is in {acct.currency}")
        return acct

    def _card(self, number: str) -> SimCard:
        if (card := self._cards.get(number)) is None:
            raise Fail(E.CARD_NOT_FOUND, "no such card")
        return card

    def _customer_acct(self, p: Posting, *, debit: bool = True) -> SimAccount:
        """The account a posting names, directly or through its card; the card must be active."""
        card = self._card(p.card) if p.card else None
        locked = card is not None and card.status == "locked"
        require(not locked, E.CARD_LOCKED, "the card is locked after too many wrong PINs")
        require(card is None or card.status == "active", E.FROZEN_ACCOUNT, "the card is blocked")
        number = p.account or (card.account if card else "")
        return self._acct(number, debit=debit, currency=p.currency if p.amount else "")

    def _verify_pin(self, p: Posting, pin: PinBlock | None, acct: SimAccount) -> None:
        if pin is None:
            return
        # The PIN belongs to a card: the one named, else the account's active (or locked) card.
        usable = ("active", "locked")
        mine = (c for c in self._cards.values() if c.account == acct.number and c.status in usable)
        card = self._cards.get(p.card) if p.card else next(mine, None)
        require(card is None or card.status != "locked", E.CARD_LOCKED, "the card is locked")
        if card is None or card.status != "active" or not card.pin_digest:
            raise Fail(PIN_INVALID, "no active card with a PIN to verify against")
        same = self._accounts[card.account].holder_id == acct.holder_id
        require(same, REJECTED, "the card belongs to another customer")
        pvv = self._hsm.pvv(pin, card.number, card.pin_salt)
        # A block that does not open for this card (bound to another PAN) is no PIN try.
        require(pvv is not None, PIN_INVALID, "the PIN block was not entered for this card")
        if hmac.compare_digest(pvv or b"", card.pin_digest):
            card.wrong_pins = 0
            return
        # The one change a failed posting makes: the card's count of wrong PINs.
        card.wrong_pins += 1
        if card.wrong_pins >= self.pin_tries:
            card.status = "locked"
            raise Fail(E.CARD_LOCKED, f"wrong PIN {card.wrong_pins} times: the card is locked")
        left = self.pin_tries - card.wrong_pins
        raise Fail(PIN_INVALID, f"the PIN is wrong; {left} more wrong PIN(s) lock the card")

    def _new_account(self, name: str, holder_id: str, currency: str, term: int = 0) -> SimAccount:
        number = self._unique(lambda: "3301" + "".join(self._rng.choices("0123456789", k=13)))
        acct = SimAccount(number, name, holder_id, currency, self._today(), term_months=term)
        self._accounts[number] = acct
        return acct

    def _new_card(self, account: str) -> SimCard:
        number = partial(card_number, self._rng)
        card = SimCard(self._unique(number), account, pin_salt=self._rng.randbytes(16))
        self._cards[card.number] = card
        return card

    def _unique(self, make: Callable[[], str]) -> str:
        while (candidate := make()) in self._accounts or candidate in self._cards:
            pass
        return candidate

    def _do_open_account(self, p: Posting, pin: PinBlock | None) -> Outputs:
        holder_id = checked(lambda v: check_resident_id(v, self._today()), p.holder_id)
        mobile = checked(check_mobile, p.mobile) if p.mobile else ""
        require(bool(p.holder_name.strip()), REJECTED, "the holder's name is required")
        acct = self._new_account(p.holder_name.strip(), holder_id, p.currency)
        acct.mobile, acct.balance = mobile, p.amount or ZERO
        return {"account_number": acct.number, "balance_after": core.money(acct.balance)}

    def _do_card_issue(self, p: Posting, pin: PinBlock | None) -> Outputs:
        acct = self._acct(p.account, debit=True)
        salt = self._rng.randbytes(16)
        pvv = None if pin is None else self._hsm.pvv(pin, "", salt)  # new PIN: bound to no PAN
        require(pin is None or pvv is not None, PIN_INVALID, "the new PIN could not be read")
        card = self._new_card(acct.number)
        card.pin_salt, card.pin_digest = salt, pvv or b""
        return {"card_number": card.number}

    def _do_mobile_banking_signup(self, p: Posting, pin: PinBlock | None) -> Outputs:
        acct = self._customer_acct(p, debit=False)
        acct.mobile, acct.mobile_banking = checked(check_mobile, p.mobile or acct.mobile), True
        return {"mobile_banking": "enabled", "mobile": mask_phone(acct.mobile)}

    def _do_deposit(self, p: Posting, pin: PinBlock | None) -> Outputs:
        acct = self._customer_acct(p, debit=False)  # a frozen account still receives
        self._verify_pin(p, pin, acct)
        acct.balance += p.amount or 0
        return {"balance_after": core.money(acct.balance)}

    def _debit(self, p: Posting, pin: PinBlock | None) -> SimAccount:
        """Check the debit of `p.amount` (the last check of every handler), then apply it."""
        acct = self._customer_acct(p)
        require(not acct.term_months, REJECTED, "use early withdrawal for a term account")
        self._verify_pin(p, pin, acct)
        require(acct.balance >= (p.amount or 0), INSUFFICIENT, "the balance does not cover it")
        acct.balance -= p.amount or 0
        return acct

    def _do_withdraw(self, p: Posting, pin: PinBlock | None) -> Outputs:
        return {"balance_after": core.money(self._debit(p, pin).balance)}

    def _do_transfer(self, p: Posting, pin: PinBlock | None) -> Outputs:
        payee = self._acct(p.counterpart_account, currency=p.currency)
        require(payee is not self._customer_acct(p), REJECTED, "payer and payee are the same")
        acct = self._debit(p, pin)
        payee.balance += p.amount or 0
        return {"balance_after": core.money(acct.balance)}

    def _do_card_loss(self, p: Posting, pin: PinBlock | None) -> Outputs:
        card = self._card(p.card)
        require(card.status == "active", REJECTED, f"the card is already {card.status}")
        card.status = "lost"
        return {"card_status": "lost"}

    def _do_card_replace(self, p: Posting, pin: PinBlock | None) -> Outputs:
        old = self._card(p.card)
        require(old.status in ("active", "lost"), REJECTED, f"the card is {old.status}")
        self._acct(old.account, debit=True)
        new = self._new_card(old.account)
        new.pin_salt, new.pin_digest = old.pin_salt, old.pin_digest  # the PIN carries over
        old.status = "replaced"
        return {"card_number": new.number}

    def _do_change_mobile(self, p: Posting, pin: PinBlock | None) -> Outputs:
        acct = self._customer_acct(p, debit=False)
        mobile = checked(check_mobile, p.mobile)
        self._verify_pin(p, pin, acct)
        acct.mobile = mobile
        return {"mobile": mask_phone(mobile)}

    def _holders_card(self, p: Posting, statuses: tuple[str, ...]) -> SimCard:
        card = self._card(p.card)
        require(card.status in statuses, REJECTED, f"the card is {card.status}")
        acct = self._acct(card.account)  # a closed account refuses
        same = bool(p.holder_id) and acct.holder_id == p.holder_id.upper()
        require(same, REJECTED, "the card belongs to another customer")
        return card

    def _set_pin(self, card: SimCard, pin: PinBlock | None) -> None:
        """The customer's new PIN, typed on the pad for this card's PAN."""
        pvv = None if pin is None else self._hsm.pvv(pin, card.number, card.pin_salt)
        require(pvv is not None, PIN_INVALID, "the new PIN could not be read for this card")
        card.pin_digest, card.wrong_pins, card.status = pvv or b"", 0, "active"

    def _do_card_activate(self, p: Posting, pin: PinBlock | None) -> Outputs:
        card = self._holders_card(p, ("inactive",))
        self._set_pin(card, pin)
        return {"card_status": "active"}

    def _do_password_reset(self, p: Posting, pin: PinBlock | None) -> Outputs:
        card = self._holders_card(p, ("active", "locked"))  # a locked card is unlocked
        self._set_pin(card, pin)
        return {"card_status": "active"}

    def _do_term_deposit(self, p: Posting, pin: PinBlock | None) -> Outputs:
        rate = TERM_RATES.get(p.term_months)
        require(rate is not None, REJECTED, f"no such term; terms in months: {sorted(TERM_RATES)}")
        source = self._debit(p, pin)
        term = self._new_account(source.holder_name, source.holder_id, p.currency, p.term_months)
        term.rate, term.balance = rate or DEMAND_RATE, p.amount or ZERO
        term.maturity = add_months(term.opened_on, p.term_months)
        maturity = term.maturity.isoformat()
        return {"account_number": term.number, "rate": str(rate), "maturity_date": maturity}

    def _do_term_early_withdraw(self, p: Posting, pin: PinBlock | None) -> Outputs:
        term = self._acct(p.account, debit=True)
        require(term.term_months > 0, REJECTED, "not a term deposit account")
        payee = self._acct(p.counterpart_account, currency=term.currency)
        require(payee.holder_id == term.holder_id, REJECTED, "pay into the holder's own account")
        matured = term.maturity is not None and self._today() >= term.maturity
        require(not matured, REJECTED, "the deposit has matured: not an early withdrawal")
        self._verify_pin(p, pin, payee)  # a term account has no card: the holder's card PIN
        interest, days = early_interest(term.balance, term.opened_on, self._today())
        paid = term.balance + interest
        payee.balance += paid
        term.balance, term.closed = ZERO, True
        return {"interest": core.money(interest), "paid": core.money(paid), "days": str(days)}

    def _do_bill_pay(self, p: Posting, pin: PinBlock | None) -> Outputs:
        biller = BILLERS.get(p.counterpart_account)
        require(biller is not None, REJECTED, f"unknown biller; billers: {', '.join(BILLERS)}")
        require(bool(p.reference), REJECTED, "the bill number (reference) is required")
        return {"biller": str(biller), "balance_after": core.money(self._debit(p, pin).balance)}

    def _do_wealth_buy(self, p: Posting, pin: PinBlock | None) -> Outputs:
        minimum = PRODUCTS.get(p.product_code)
        require(minimum is not None, REJECTED, f"unknown product; products: {', '.join(PRODUCTS)}")
        require((p.amount or 0) >= (minimum or 0), REJECTED, f"the product's minimum is {minimum}")
        acct = self._debit(p, pin)
        holding = acct.holdings.get(p.product_code, ZERO) + (p.amount or 0)
        acct.holdings[p.product_code] = holding
        return {"product": p.product_code, "holding": core.money(holding)}

    def _do_close_account(self, p: Posting, pin: PinBlock | None) -> Outputs:
        acct = self._customer_acct(p)
        self._verify_pin(p, pin, acct)
        same = p.amount is None or p.amount == acct.balance
        require(same, REJECTED, "the payout differs from the balance; query it again")
        paid, acct.balance, acct.closed = acct.balance, ZERO, True  # paid out in cash
        for card in self._cards.values():
            if card.account == acct.number and card.status == "active":
                card.status = "cancelled"
        return {"paid_out": core.money(paid)}
