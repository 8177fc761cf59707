"""The transaction catalogue: the demo types as JSON Schema 2020-12 data (checked without the
network), PIN, identity and rules as data, and authorisation levels from the rules."""

from __future__ import annotations

import socket

import jsonschema
import pytest

from manyi.counter.adapters.core import PostingKind
from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.catalogue import Catalogue, IdentityCheck
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.domain.item_checks import required_level, validate_item
from tests.catalogue_helpers import CATALOGUE, TODAY, good_item, messages

DEMO_CODES = [
    "open_account",
    "card_issue",
    "mobile_banking_signup",
    "deposit",
    "withdraw",
    "transfer",
    "card_loss",
    "card_replace",
    "change_mobile",
    "card_activate",
    "password_reset",
    "term_deposit",
    "term_early_withdraw",
    "bill_pay",
    "wealth_buy",
    "close_account",
]


# --- the demo catalogue ------------------------------------------------------------


def test_demo_catalogue_has_the_sixteen_retail_transactions() -> None:
    assert [tx.code for tx in CATALOGUE.latest()] == DEMO_CODES
    assert {tx.posting for tx in CATALOGUE} == set(PostingKind)
    for tx in CATALOGUE:
        assert tx.version == 1
        assert tx.names.zh and tx.names.en
        assert tx.posting == PostingKind(tx.code)


@pytest.mark.parametrize("code", DEMO_CODES)
def test_each_type_is_a_2020_12_object_schema_that_refs_the_dictionary(code: str) -> None:
    tx = CATALOGUE.get(code)
    jsonschema.Draft202012Validator.check_schema(tx.schema)
    assert tx.schema["type"] == "object" and tx.schema["additionalProperties"] is False
    assert tx.schema["$id"] == tx.uri == f"https://manyi.example/schemas/transactions/{code}/v1"
    for name, prop in tx.schema["properties"].items():
        assert prop["$ref"] == f"https://manyi.example/schemas/fields/v1#/$defs/{name}"
    assert set(tx.required) <= set(tx.fields)
    assert {
        "code",
        "version",
        "names",
        "needs_pin",
        "identity_check",
        "authorisation",
        "posting",
    } <= set(tx.schema["x-manyi"])


@pytest.mark.parametrize("code", DEMO_CODES)
def test_each_type_accepts_good_values(code: str) -> None:
    tx = CATALOGUE.get(code)
    assert validate_item(tx, good_item(tx), today=TODAY) == []


def test_validation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = Catalogue.load()
    for tx in fresh:
        validate_item(tx, good_item(tx), today=TODAY)


def test_pin_identity_and_rules_are_data() -> None:
    assert not CATALOGUE.get("deposit").needs_pin
    assert CATALOGUE.get("withdraw").needs_pin
    assert CATALOGUE.get("open_account").identity_check is IdentityCheck.ID_CARD_READER
    assert CATALOGUE.get("deposit").identity_check is IdentityCheck.NONE
    assert CATALOGUE.get("open_account").provides == ("account_number",)
    assert CATALOGUE.get("close_account").per_item == frozenset({"account_number"})


def test_card_activation_and_pin_reset_are_done_away_with_the_id_card() -> None:
    """The issue's visit needs "activate a card, change a password": both take the customer's
    ID card and the new PIN on the pad; a reset is always authorised (from the office on a
    visit), an activation needs none."""
    activate, reset = CATALOGUE.get("card_activate"), CATALOGUE.get("password_reset")
    assert (activate.names.zh, reset.names.zh) == ("激活银行卡", "重置银行卡密码")
    for tx in (activate, reset):
        assert tx.away_from_counter and tx.needs_pin
        assert tx.identity_check is IdentityCheck.ID_CARD_READER
        assert {"customer_name", "id_type", "id_number", "card_number"} <= tx.required
        assert "mobile" in tx.fields and "mobile" not in tx.required
    assert required_level(activate, {}) is Level.NONE
    assert required_level(reset, {"reset_reason": "forgotten"}) is Level.SUPERVISOR
    assert messages(reset, good_item(reset) | {"reset_reason": "guessed"}) == {
        "reset_reason": "not one of the allowed choices"
    }
    assert messages(activate, good_item(activate) | {"card_number": "6222020200112345678"}) == {
        "card_number": "the card number fails the Luhn check; please look for a typing mistake"
    }
    assert [o.value for o in field_dictionary()["reset_reason"].options] == [
        "forgotten",
        "locked",
        "other",
    ]


# --- authorisation levels ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        ("49999.99", Level.NONE),
        ("50000", Level.SUPERVISOR),
        ("50,000.00", Level.SUPERVISOR),
        ("199999.99", Level.SUPERVISOR),
        ("200000", Level.REMOTE),
        ("", Level.NONE),
        ("1e9", Level.NONE),  # not an amount: validation refuses it before any level matters
    ],
)
def test_withdrawal_thresholds_at_the_boundary(amount: str, level: Level) -> None:
    assert required_level(CATALOGUE.get("withdraw"), {"amount": amount}) is level


def test_flags_and_always_rules() -> None:
    withdraw = CATALOGUE.get("withdraw")
    assert required_level(withdraw, {"amount": "100"}, {"elderly"}) is Level.SUPERVISOR
    assert required_level(withdraw, {"amount": "300000"}, {"elderly"}) is Level.REMOTE
    assert required_level(CATALOGUE.get("close_account"), {}) is Level.SUPERVISOR
    assert required_level(CATALOGUE.get("card_loss"), {}) is Level.NONE
    assert required_level(CATALOGUE.get("open_account"), {}, {"high_risk"}) is Level.SUPERVISOR
