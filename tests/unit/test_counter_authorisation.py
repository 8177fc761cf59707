"""Authorisation levels: rules as data, thresholds at the boundary, one request per bundle."""

from __future__ import annotations

from decimal import Decimal

import pytest

from manyi.counter.domain.authorisation_rules import (
    AuthorisationItem,
    Condition,
    Level,
    Rule,
    authorisation_request,
    level_for_bundle,
    level_for_item,
    parse_level,
    parse_rules,
)
from manyi.errors import InvalidInput

# The rules a withdrawal carries in the demo catalogue's x-manyi block.
WITHDRAWAL_RULES = parse_rules(
    [
        {"when": {"amount_at_least": "50000"}, "level": "supervisor"},
        {"when": {"customer_flag": "elderly"}, "level": "supervisor"},
        {"when": {"amount_at_least": "200000"}, "level": "remote"},
    ]
)


def item(
    amount: str | None, flags: frozenset[str] = frozenset(), **kw: object
) -> AuthorisationItem:
    return AuthorisationItem(
        label=str(kw.get("label", "withdrawal")),
        rules=WITHDRAWAL_RULES,
        amount=None if amount is None else Decimal(amount),
        currency=str(kw.get("currency", "CNY")),
        flags=flags,
        transaction_code=str(kw.get("code", "withdraw")),
    )


def test_levels_are_ordered() -> None:
    assert Level.NONE < Level.SUPERVISOR < Level.REMOTE
    assert max(Level.SUPERVISOR, Level.REMOTE, Level.NONE) is Level.REMOTE
    assert [parse_level(x) for x in ("none", "Supervisor", " REMOTE ")] == list(Level)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("49999.99", Level.NONE),
        ("50000.00", Level.SUPERVISOR),  # the threshold itself needs authorisation
        ("50000.01", Level.SUPERVISOR),
        ("199999.99", Level.SUPERVISOR),
        ("200000.00", Level.REMOTE),
        ("200000.01", Level.REMOTE),
    ],
)
def test_amount_threshold_is_inclusive(amount: str, expected: Level) -> None:
    assert level_for_item(WITHDRAWAL_RULES, Decimal(amount), "CNY") is expected


def test_risk_flag_raises_the_level_of_a_small_amount() -> None:
    assert level_for_item(WITHDRAWAL_RULES, Decimal("100"), "CNY", {"elderly"}) is Level.SUPERVISOR
    assert level_for_item(WITHDRAWAL_RULES, Decimal("100"), "CNY", {"vip"}) is Level.NONE
    # The highest matching rule wins, whatever the order of the rules.
    big = Decimal("250000")
    assert level_for_item(WITHDRAWAL_RULES, big, "CNY", {"elderly"}) is Level.REMOTE
    assert level_for_item(tuple(reversed(WITHDRAWAL_RULES)), big, "CNY") is Level.REMOTE


def test_item_without_an_amount_never_matches_an_amount_rule() -> None:
    assert level_for_item(WITHDRAWAL_RULES, None, "CNY") is Level.NONE


def test_conditions_combine_with_and_and_lists_with_or() -> None:
    (rule,) = parse_rules(
        [
            {
                "when": {
                    "amount_at_least": 10000,
                    "currency": ["usd", "EUR"],
                    "customer_flag": ["watchlist", "high_risk"],
                    "transaction_code": "transfer",
                },
                "level": "remote",
            }
        ]
    )
    hit = (Decimal("10000"), "USD", {"high_risk"}, "transfer")
    assert level_for_item([rule], *hit) is Level.REMOTE
    assert (
        level_for_item([rule], Decimal("9999.99"), "USD", {"high_risk"}, "transfer") is Level.NONE
    )
    assert level_for_item([rule], Decimal("10000"), "CNY", {"high_risk"}, "transfer") is Level.NONE
    assert level_for_item([rule], Decimal("10000"), "EUR", {"first_time_large"}, "transfer") is (
        Level.NONE
    )
    assert level_for_item([rule], Decimal("10000"), "EUR", {"watchlist"}, "withdraw") is Level.NONE


def test_rule_without_when_always_applies() -> None:
    rules = parse_rules([{"level": "supervisor"}, {"when": {}, "level": "supervisor"}])
    assert level_for_item(rules, None, "CNY") is Level.SUPERVISOR
    assert rules[0].when == Condition()


def test_rules_round_trip_through_dicts() -> None:
    again = parse_rules([r.to_dict() for r in WITHDRAWAL_RULES])
    assert again == WITHDRAWAL_RULES
    assert WITHDRAWAL_RULES[0].to_dict() == {
        "when": {"amount_at_least": "50000"},
        "level": "supervisor",
    }


def test_bundle_level_is_the_max_over_items_with_reasons_per_item() -> None:
    items = [
        item("1000", label="deposit"),
        item("60000", label="withdrawal"),
        item("500", label="bill payment"),
    ]
    level, per_item = level_for_bundle(items)
    assert level is Level.SUPERVISOR
    assert [a.level for a in per_item] == [Level.NONE, Level.SUPERVISOR, Level.NONE]
    assert per_item[0].reasons == ()
    assert per_item[1].reasons == ("amount ≥ 50000 → supervisor",)

    level, _ = level_for_bundle([*items, item("250000")])
    assert level is Level.REMOTE


def test_elderly_customer_reason_is_listed() -> None:
    _, per_item = level_for_bundle([item("60000", frozenset({"elderly"}))])
    assert per_item[0].reasons == (
        "amount ≥ 50000 → supervisor",
        "customer elderly → supervisor",
    )


def test_a_bundle_raises_one_request_at_the_highest_level_listing_every_item() -> None:
    items = [item("100", label="1. deposit"), item("210000", label="2. withdrawal")]
    items.append(item("60000", label="3. transfer"))
    request = authorisation_request("B-20260310-0001", items)
    assert request is not None
    assert request.bundle_id == "B-20260310-0001"
    assert request.level is Level.REMOTE
    assert [line.label for line in request.lines] == ["1. deposit", "2. withdrawal", "3. transfer"]
    assert [line.level for line in request.lines] == [Level.NONE, Level.REMOTE, Level.SUPERVISOR]


def test_no_request_when_every_item_needs_nothing() -> None:
    assert authorisation_request("B1", [item("100"), item("49999.99"), item(None)]) is None
    assert level_for_bundle([]).level is Level.NONE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("supervisor", "rules must be a list of rules"),
        ([42], "rules[0] must be an object with when and level"),
        ([{"when": {}}], "rules[0] has no level"),
        ([{"level": "boss"}], "rules[0].level must be one of none, supervisor, remote"),
        ([{"level": "none"}], "rules[0].level must be supervisor or remote"),
        ([{"level": "remote", "if": {}}], "rules[0]: unknown key 'if'"),
        ([{"when": [], "level": "remote"}], "rules[0].when must be an object of conditions"),
        ([{"when": {"amount_over": "1"}, "level": "remote"}], "unknown key 'amount_over'"),
        ([{"when": {"amount_at_least": 50000.0}, "level": "remote"}], "decimal string"),
        ([{"when": {"amount_at_least": True}, "level": "remote"}], "decimal string"),
        ([{"when": {"amount_at_least": "fifty"}, "level": "remote"}], "'fifty' is not an amount"),
        ([{"when": {"amount_at_least": "-1"}, "level": "remote"}], "zero or more"),
        ([{"when": {"amount_at_least": "1.001"}, "level": "remote"}], "at most 2 decimals"),
        ([{"when": {"amount_at_least": "NaN"}, "level": "remote"}], "zero or more"),
        ([{"when": {"currency": "yuan"}, "level": "remote"}], "'yuan' is not valid"),
        ([{"when": {"currency": []}, "level": "remote"}], "non-empty list"),
        ([{"when": {"customer_flag": "eldery"}, "level": "remote"}], "unknown flag eldery"),
        ([{"when": {"transaction_code": "Withdraw!"}, "level": "remote"}], "is not valid"),
    ],
)
def test_bad_rules_are_refused_with_the_place_named(data: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rules(data)
    assert message in caught.value.text()


def test_the_error_names_the_rule_and_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rules([{"level": "remote"}, {"when": {"amount_at_least": "x"}, "level": "remote"}])
    assert caught.value.field == "rules[1].when.amount_at_least"


def test_a_bank_may_add_its_own_flags() -> None:
    flags = frozenset({"elderly", "disabled"})
    rules = parse_rules(
        [{"when": {"customer_flag": "disabled"}, "level": "supervisor"}], known_flags=flags
    )
    assert level_for_item(rules, None, "CNY", ["disabled"]) is Level.SUPERVISOR


def test_no_rules_means_no_authorisation() -> None:
    assert parse_rules(None) == ()
    assert level_for_item([], Decimal("1000000"), "CNY", {"watchlist"}) is Level.NONE


def test_a_rule_object_cannot_require_level_none() -> None:
    with pytest.raises(InvalidInput):
        Rule(Condition(), Level.NONE)
