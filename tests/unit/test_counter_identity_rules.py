"""When the ID card must be read: the catalogue's identity rules (a cash withdrawal from
50,000, any transaction of a flagged customer) and the types that always need it."""

from __future__ import annotations

import copy
from collections.abc import Collection
from decimal import Decimal

import pytest

from manyi.counter.domain.catalogue import Catalogue, IdentityCheck, TransactionType
from manyi.counter.domain.identity_rules import ALWAYS, parse_identity_rules
from manyi.counter.domain.identity_rules import reasons as matching
from manyi.errors import InvalidInput


def reasons(
    tx: TransactionType, amount: Decimal | None, currency: str, flags: Collection[str] = ()
) -> tuple[str, ...]:
    """The reasons in English, as `Condition.describe` words them."""
    return tuple(c.describe() for c in matching(tx, amount, currency, flags))


CATALOGUE = Catalogue.load()
WITHDRAW = CATALOGUE.get("withdraw")
FLAGGED = "customer elderly/high_risk/watchlist"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("49999.99", ()), ("50000.00", ("amount ≥ 50000",)), ("60000", ("amount ≥ 50000",))],
)
def test_a_cash_withdrawal_from_the_threshold_needs_the_card(
    amount: str, expected: tuple[str, ...]
) -> None:
    assert WITHDRAW.identity_check is IdentityCheck.NONE  # not always: by its rules
    assert reasons(WITHDRAW, Decimal(amount), "CNY") == expected


def test_the_readme_withdrawal_of_an_elderly_customer_needs_it_twice_over() -> None:
    assert reasons(WITHDRAW, Decimal("60000"), "CNY", {"elderly"}) == (
        "amount ≥ 50000",
        FLAGGED,
    )


@pytest.mark.parametrize("code", ["deposit", "withdraw", "transfer", "term_deposit", "bill_pay"])
@pytest.mark.parametrize("flag", ["elderly", "high_risk", "watchlist"])
def test_every_transaction_of_a_flagged_customer_needs_the_card(code: str, flag: str) -> None:
    tx = CATALOGUE.get(code)
    assert reasons(tx, Decimal("100"), "CNY") == ()
    assert reasons(tx, Decimal("100"), "CNY", {flag}) == (FLAGGED,)
    assert reasons(tx, Decimal("100"), "CNY", {"first_time_large"}) == ()


def test_types_that_always_need_the_card_say_so() -> None:
    for tx in CATALOGUE.latest():
        if tx.identity_check is IdentityCheck.ID_CARD_READER:
            assert matching(tx, None, "CNY") == (ALWAYS,)
            assert reasons(tx, None, "CNY") == ("always",)
        else:
            assert tx.identity_rules, f"{tx.code} has neither a check nor identity rules"


@pytest.mark.parametrize(
    ("rules", "where"),
    [
        ([{}], "x-manyi.identity_rules[0]"),
        ([{"customer_flag": "eldery"}], "x-manyi.identity_rules[0].customer_flag"),
        ([{"amount_at_least": 0.5}], "x-manyi.identity_rules[0].amount_at_least"),
        ({"amount_at_least": "1"}, "x-manyi.identity_rules"),
    ],
)
def test_bad_identity_rules_are_refused_naming_the_place(rules: object, where: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_identity_rules(rules)
    assert refused.value.field == where


def test_an_identity_rule_on_an_amount_the_form_does_not_ask_is_refused() -> None:
    document = copy.deepcopy(dict(CATALOGUE.get("change_mobile").schema))
    document["x-manyi"] |= {"identity_check": "none", "identity_rules": [{"amount_at_least": "1"}]}
    with pytest.raises(InvalidInput, match="identity rule reads an amount"):
        TransactionType.from_schema(document)
