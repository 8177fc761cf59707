"""The core-banking port: what the counter needs from the bank's system of record.

manyi never keeps balances. Each bundle item becomes a `Posting` that an adapter sends to
the core; the answer is a `PostingResult`. `simulated_core.SimulatedCore` ships for the demo and
the tests; a bank writes an adapter for its own core with the contract below.

Contract of `CoreBanking.post(posting, pin_block, idempotency_key)`
--------------------------------------------------------------------

1. **Idempotent by key.** The first request with a key that reaches a *definitive* outcome
   (POSTED or FAILED) is recorded under that key. Every later request with the same key
   returns that recorded result (``replayed=True``) and never posts again, whatever its PIN
   block. One exception: a FAILED ``pin_invalid`` is **not** recorded (see 5), so the same
   key may come again with a new PIN block once the customer has typed the PIN again. A
   key sent again with a *different* posting is refused with REJECTED and the record stays
   as it was. Keys are kept at least as long as a bundle can be retried (the
   business day; the simulation keeps them for its life).
2. **Atomic per item.** A posting is applied entirely or not at all: a transfer debits and
   credits together, a term deposit debits the demand account and opens the term account
   together, a closure pays out and closes together. A FAILED result means nothing changed.
3. **UNKNOWN means "ask again with the same key".** When the adapter cannot tell whether the
   core applied the posting (a timeout, a dropped connection, an unexpected response) it
   returns UNKNOWN with code ``timeout``; it does not raise. The caller retries with the same
   key and gets either the recorded result (it was applied) or a fresh attempt (it was not).
   UNKNOWN is never recorded under the key.
4. **Error codes** (`ErrorCode`), all with Outcome.FAILED except ``timeout``:
   ``insufficient_funds`` (available balance below the amount), ``frozen_account`` (the
   account is frozen or closed; the card is lost or replaced), ``account_not_found``,
   ``card_not_found``, ``pin_invalid`` (the block does not open, is not bound to the card,
   or the PIN is wrong; also when a PIN is required and none is given), ``card_locked``
   (the card is locked after too many wrong PINs, by this request or an earlier one; only
   a PIN reset unlocks it), ``timeout``
   (UNKNOWN, see 3) and ``rejected`` (anything else the core refuses: a currency mismatch,
   an unknown biller, a product minimum, a reused key; `message` says which).
5. **The PIN block** is used for this request only: the adapter forwards it to its HSM, never
   stores or logs it, and never wipes it (the caller owns it and wipes it after the bundle).
   **Wrong PINs are counted by the core, per card**, whichever channel sent them: a wrong
   PIN answers ``pin_invalid`` and changes nothing but that count (no balance, no record
   under the key); the wrong PIN that reaches the core's own limit locks the card and
   answers ``card_locked``, and so does every later request with that card. A right PIN
   resets the count. The counter only decides how many entries it offers the customer in
   one visit (`Settings.counter_pin_tries`); it never unlocks a card except by
   ``password_reset``.
   **A new PIN.** For ``card_activate`` (a card delivered inactive) and ``password_reset`` (the
   PIN forgotten, or the card locked by wrong PINs) the block carries the PIN the customer
   chooses, bound to the card's PAN: the core sets it (no old PIN is asked: the customer's
   ID card was read and, for a reset, a supervisor authorised it), clears the count of wrong
   PINs and makes the card active. ``holder_id`` must be the card holder's ID number.
6. **Outputs** of a posted item are plain strings in `PostingResult.outputs` (for example
   ``account_number``, ``card_number``, ``balance_after``); later items of a bundle may refer
   to them. Amounts are decimal strings with two places.
7. **Thread safety.** `post` and `balance` may be called from several threads at once.

`balance(account)` returns the current `Balance` or raises `CoreQueryError` with code
``account_not_found`` or ``timeout``; it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from manyi.counter.adapters.pin_pad import PinBlock
from manyi.errors import InvalidInput
from manyi.personal import mask_card, mask_id, mask_name, mask_phone

__all__ = [
    "Balance",
    "CoreBanking",
    "CoreQueryError",
    "ErrorCode",
    "Outcome",
    "Posting",
    "PostingKind",
    "PostingResult",
    "money",
]

_CURRENCY = re.compile(r"[A-Z]{3}")


class PostingKind(StrEnum):
    OPEN_ACCOUNT = "open_account"
    CARD_ISSUE = "card_issue"
    MOBILE_BANKING_SIGNUP = "mobile_banking_signup"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"
    CARD_LOSS = "card_loss"
    CARD_REPLACE = "card_replace"
    CHANGE_MOBILE = "change_mobile"
    CARD_ACTIVATE = "card_activate"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a posting kind, not a password
    TERM_DEPOSIT = "term_deposit"
    TERM_EARLY_WITHDRAW = "term_early_withdraw"
    BILL_PAY = "bill_pay"
    WEALTH_BUY = "wealth_buy"
    CLOSE_ACCOUNT = "close_account"


# Kinds whose posting must carry an amount.
AMOUNT_KINDS = frozenset(
    {
        PostingKind.DEPOSIT,
        PostingKind.WITHDRAW,
        PostingKind.TRANSFER,
        PostingKind.TERM_DEPOSIT,
        PostingKind.BILL_PAY,
        PostingKind.WEALTH_BUY,
    }
)


class Outcome(StrEnum):
    POSTED = "posted"
    FAILED = "failed"
    UNKNOWN = "unknown"


class ErrorCode(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    FROZEN_ACCOUNT = "frozen_account"
    ACCOUNT_NOT_FOUND = "account_not_found"
    CARD_NOT_FOUND = "card_not_found"
    PIN_INVALID = "pin_invalid"
    CARD_LOCKED = "card_locked"
    TIMEOUT = "timeout"
    REJECTED = "rejected"


def money(amount: Decimal) -> str:
    """A decimal string with two places, as outputs carry amounts."""
    return str(amount.quantize(Decimal("0.01")))


@dataclass(frozen=True)
class Posting:
    """One item as the core sees it. Fields a kind does not use stay empty.

    String fields may hold a reference such as ``"@item1.account_number"`` until the
    bundle runner resolves it; the core only ever receives resolved postings.
    """

    kind: PostingKind
    account: str = ""  # the customer's account; for open_account, empty
    card: str = ""  # the card used (PIN is verified against it) or the card concerned
    amount: Decimal | None = None
    currency: str = "CNY"
    counterpart_account: str = ""  # payee, biller code, or the account that receives funds
    counterpart_name: str = ""
    reference: str = ""  # customer's note, bill number, …
    holder_name: str = ""  # open_account
    # open_account: the new holder's resident ID number; card_activate, password_reset: the
    # ID number read from the customer's card, which must be the card holder's.
    holder_id: str = ""
    mobile: str = ""  # open_account, mobile_banking_signup, change_mobile
    term_months: int = 0  # term_deposit
    product_code: str = ""  # wealth_buy

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PostingKind(self.kind))
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidInput("currency must be a 3-letter ISO 4217 code", "currency")
        if self.amount is None:
            if self.kind in AMOUNT_KINDS:
                raise InvalidInput("{kind} needs an amount", "amount", kind=self.kind.value)
            return
        exponent = self.amount.as_tuple().exponent
        if not isinstance(exponent, int) or self.amount <= 0 or exponent < -2:
            raise InvalidInput("amount must be positive with at most 2 decimals", "amount")

    def __repr__(self) -> str:  # personal data masked: postings end up in logs
        parts = [f"kind={self.kind.value}"]
        for name, value in (
            ("account", mask_card(self.account)),
            ("card", mask_card(self.card)),
            ("amount", None if self.amount is None else f"{self.amount} {self.currency}"),
            ("counterpart", mask_card(self.counterpart_account)),
            ("holder", mask_name(self.holder_name)),
            ("holder_id", mask_id(self.holder_id)),
            ("mobile", mask_phone(self.mobile)),
        ):
            if value:
                parts.append(f"{name}={value}")
        return f"Posting({', '.join(parts)})"


@dataclass(frozen=True)
class PostingResult:
    outcome: Outcome
    code: ErrorCode | None = None
    message: str = ""  # English, for the teller; never contains the PIN
    outputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    core_reference: str = ""  # the core's journal number of a posted item
    replayed: bool = False  # True when returned from the idempotency record

    def __post_init__(self) -> None:
        object.__setattr__(self, "outputs", MappingProxyType(dict(self.outputs)))
        if (self.outcome is Outcome.POSTED) != (self.code is None):
            raise ValueError("a posted result has no error code; any other result has one")

    @property
    def posted(self) -> bool:
        return self.outcome is Outcome.POSTED


@dataclass(frozen=True)
class Balance:
    account: str
    currency: str
    balance: Decimal
    available: Decimal  # what can be debited now: zero while frozen
    frozen: bool
    closed: bool = False


class CoreQueryError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class CoreBanking(Protocol):
    """The port; see the module docstring for what an adapter must guarantee."""

    def post(
        self, posting: Posting, pin_block: PinBlock | None, idempotency_key: str
    ) -> PostingResult: ...

    def balance(self, account: str) -> Balance: ...
