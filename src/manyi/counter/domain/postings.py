"""From a bundle item's form values to the posting the core-banking port receives (pure).

Each transaction type names its `posting` kind (catalogue `x-manyi.posting`); this module
maps the form's fields onto a `core.Posting`:

==========================  ==============================================================
kind                        fields → posting
==========================  ==============================================================
open_account                customer_name → holder_name, id_number → holder_id, mobile
card_issue                  account_number → account
mobile_banking_signup       card_number → card, mobile
deposit, withdraw           account_number → account or card, amount, currency,
                            remarks / purpose → reference
transfer                    … payee_account → counterpart_account, payee_name →
                            counterpart_name, purpose → reference
card_loss, card_replace     card_number → card
change_mobile               card_number → card, new_mobile → mobile
card_activate,              card_number → card, id_number → holder_id (the PIN typed is the
password_reset              card's new one)
term_deposit                account_number → account or card, amount, currency, term_months
term_early_withdraw         deposit_serial → account (the term account), account_number →
                            counterpart_account (where the money goes), amount
bill_pay                    bill_type → counterpart_account (the biller, `BILLERS`),
                            bill_account → reference, amount, currency
wealth_buy                  account_number → account or card, product_code, amount, currency
close_account               account_number → account or card, payee_account →
                            counterpart_account
==========================  ==============================================================

"Account or card": the form's account_number field is labelled 账号/卡号 because customers
write either. The caller says which it is (`is_account`); the runner asks the core
(`balance` answers for accounts only). A reference such as "@item1.account_number" is the
output of an earlier item and is always an account.

`requires`: replacing a card waits for the loss report of the same card in the bundle.

The one PIN entry is bound to one PAN (ISO 9564 format 0): `pin_pan` chooses it. A bundle
that issues a card takes the new card's PIN, bound to no PAN; otherwise the PIN is the one
of the first PIN item's card (or account). Items that would need the PIN of another card
fail with pin_invalid: that is a second visit, not one bundle.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from manyi.counter.adapters.core import Posting, PostingKind
from manyi.counter.domain.catalogue import TransactionType
from manyi.counter.domain.execution import BundleItem, BundleRun

__all__ = ["BILLERS", "bundle_items", "pin_pan", "posting_for"]

K = PostingKind
# The bank's biller code for each bill type of the form; an unknown type goes to the core
# as it is, and the core refuses it ("unknown biller").
BILLERS: Final[Mapping[str, str]] = {
    "electricity": "STATE-GRID",
    "water": "WATER",
    "gas": "GAS",
}
_REFERENCE = re.compile(r"@item([1-9][0-9]*)\.([a-z][a-z0-9_]*)")

IsAccount = Callable[[str], bool]


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value)


def _payer(values: Mapping[str, Any], is_account: IsAccount) -> dict[str, Any]:
    number = _text(values, "account_number")
    if not number or number.startswith("@") or is_account(number):
        return {"account": number}
    return {"card": number}


def _money(values: Mapping[str, Any]) -> dict[str, Any]:
    amount = values.get("amount")
    return {
        "amount": None if amount in (None, "") else Decimal(str(amount)),
        "currency": _text(values, "currency") or "CNY",
    }


def posting_for(tx: TransactionType, values: Mapping[str, Any], is_account: IsAccount) -> Posting:
    """The posting of one item; string fields may still hold "@item<n>.<output>"."""
    kind = tx.posting
    v = values
    if kind is K.OPEN_ACCOUNT:
        return Posting(
            kind,
            holder_name=_text(v, "customer_name"),
            holder_id=_text(v, "id_number"),
            mobile=_text(v, "mobile"),
        )
    if kind is K.CARD_ISSUE:
        return Posting(kind, account=_text(v, "account_number"))
    if kind is K.MOBILE_BANKING_SIGNUP:
        return Posting(kind, card=_text(v, "card_number"), mobile=_text(v, "mobile"))
    if kind in (K.CARD_LOSS, K.CARD_REPLACE):
        return Posting(kind, card=_text(v, "card_number"))
    if kind is K.CHANGE_MOBILE:
        return Posting(kind, card=_text(v, "card_number"), mobile=_text(v, "new_mobile"))
    if kind in (K.CARD_ACTIVATE, K.PASSWORD_RESET):
        return Posting(kind, card=_text(v, "card_number"), holder_id=_text(v, "id_number"))
    if kind is K.TERM_EARLY_WITHDRAW:
        return Posting(
            kind,
            account=_text(v, "deposit_serial"),
            counterpart_account=_text(v, "account_number"),
            **_money(v),
        )
    payer, money = _payer(v, is_account), _money(v)
    if kind is K.DEPOSIT:
        return Posting(kind, **payer, **money, reference=_text(v, "remarks"))
    if kind is K.WITHDRAW:
        return Posting(kind, **payer, **money, reference=_text(v, "purpose"))
    if kind is K.TRANSFER:
        return Posting(
            kind,
            **payer,
            **money,
            counterpart_account=_text(v, "payee_account"),
            counterpart_name=_text(v, "payee_name"),
            reference=_text(v, "purpose"),
        )
    if kind is K.TERM_DEPOSIT:
        return Posting(kind, **payer, **money, term_months=int(v.get("term_months") or 0))
    if kind is K.BILL_PAY:
        bill_type = _text(v, "bill_type")
        return Posting(
            kind,
            **payer,
            **money,
            counterpart_account=BILLERS.get(bill_type, bill_type.upper()),
            reference=_text(v, "bill_account"),
        )
    if kind is K.WEALTH_BUY:
        return Posting(kind, **payer, **money, product_code=_text(v, "product_code"))
    if kind is K.CLOSE_ACCOUNT:
        return Posting(kind, **payer, counterpart_account=_text(v, "payee_account"))
    raise ValueError(f"no mapping for posting kind {kind}")  # pragma: no cover


def bundle_items(
    types: Sequence[TransactionType],
    item_values: Sequence[Mapping[str, Any]],
    is_account: Callable[[int, str], bool],
) -> list[BundleItem]:
    """The bundle's items for `execution`, in order; `is_account(n, number)` says whether
    item n's account-or-card number is an account."""
    items: list[BundleItem] = []
    for number, (tx, values) in enumerate(zip(types, item_values, strict=True), start=1):
        posting = posting_for(tx, values, functools.partial(is_account, number))
        requires: frozenset[int] = frozenset()
        if tx.posting is K.CARD_REPLACE:
            requires = frozenset(
                n
                for n, earlier in enumerate(items, start=1)
                if earlier.posting.kind is K.CARD_LOSS and earlier.posting.card == posting.card
            )
        items.append(BundleItem(posting, tx.needs_pin, tx.names.en, requires))
    return items


def _resolved(run: BundleRun, value: str) -> str:
    found = _REFERENCE.fullmatch(value)
    if found is None:
        return value
    return run.item(int(found[1])).outputs.get(found[2], "")


def pin_pan(run: BundleRun) -> str | None:
    """The PAN the one PIN entry is bound to; None when no unfinished item needs a PIN."""
    todo = [i for i in run.items if not i.finished and i.item.needs_pin]
    if not todo:
        return None
    if any(i.item.posting.kind is K.CARD_ISSUE for i in todo):
        return ""  # the PIN of a card being issued: bound to no PAN yet
    posting = todo[0].item.posting
    return _resolved(run, posting.card or posting.account)
