"""When the teller must read the customer's ID card: rules as data in the catalogue.

A transaction type either always needs the card read (``"identity_check": "id_card_reader"``:
opening an account, a card loss) or needs it when one of its ``identity_rules`` matches the
item. The rules use the grammar of an authorisation rule's ``when`` (authorisation_rules.py):

    "identity_rules": [{"amount_at_least": "50000"},
                       {"customer_flag": ["elderly", "high_risk", "watchlist"]}]

reads: a withdrawal of 50,000 or more (in the item's currency, inclusively: 49,999.99 needs
no card, 50,000.00 does), or any withdrawal by a customer flagged elderly (65 or more, from
the ID number), high-risk or on the watch list. The packaged catalogue gives every type that
has no fixed check the flag rule, and the cash withdrawal the threshold too (the bank's
50,000 CNY, the amount from which cash business is registered with the customer's ID).

A bundle needs the card read when any of its items does (`store.identity_reasons`), so
one read serves the whole visit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from manyi.counter.domain.authorisation_rules import Condition, parse_condition
from manyi.errors import InvalidInput

if TYPE_CHECKING:
    from manyi.counter.domain.catalogue import TransactionType

__all__ = ["ALWAYS", "parse_identity_rules", "reasons"]

ALWAYS = Condition()  # the reason of a type that always needs the card ("always")
_WHERE = "x-manyi.identity_rules"


def parse_identity_rules(data: object) -> tuple[Condition, ...]:
    """Read a type's identity rules; a rule without a condition is refused (use
    ``"identity_check": "id_card_reader"`` for a type that always needs the card)."""
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise InvalidInput("{where} must be a list of conditions", _WHERE, where=_WHERE)
    rules = tuple(parse_condition(c, where=f"{_WHERE}[{i}]") for i, c in enumerate(data))
    for i, rule in enumerate(rules):
        if rule == Condition():
            where = f"{_WHERE}[{i}]"
            raise InvalidInput("{where} has no condition", where, where=where)
    return rules


def reasons(
    tx: TransactionType, amount: Decimal | None, currency: str, flags: Collection[str] = ()
) -> tuple[Condition, ...]:
    """Why an item needs the customer's ID card read: the rules it matches (`ALWAYS` for a
    type that always needs it); empty when it does not."""
    if tx.identity_check.value == "id_card_reader":
        return (ALWAYS,)
    return tuple(
        rule for rule in tx.identity_rules if rule.matches(amount, currency, flags, tx.code)
    )
