"""One form for a bundle: values produced by earlier items, validating and splitting the merged
values, and versions kept (a bundle is checked with the version it was made with)."""

from __future__ import annotations

import copy
import socket

import pytest

from manyi.counter.domain.catalogue import TransactionType, new_version
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.domain.item_checks import validate_item
from manyi.counter.domain.merge import ItemRef, Link, merge
from manyi.errors import InvalidInput
from tests.catalogue_helpers import (
    CATALOGUE,
    LOST_CARD,
    NEW_CUSTOMER,
    TERM_ROLLOVER,
    TODAY,
    good_values,
    keys,
    types,
)

# --- produced values ------------------------------------------------------------------


def test_values_produced_by_earlier_items_are_not_asked() -> None:
    form = merge(types(*NEW_CUSTOMER))
    assert "account_number" not in keys(form) and "card_number" not in keys(form)
    assert form.links == (
        Link(2, "account_number", 1),
        Link(3, "card_number", 2),
        Link(4, "account_number", 1),
    )
    items = form.split(good_values(form))
    assert items[1]["account_number"] == "@item1.account_number"
    assert items[2]["card_number"] == "@item2.card_number"
    assert items[3]["account_number"] == "@item1.account_number"
    assert form.validate(good_values(form), today=TODAY) == []


def test_items_before_the_producer_share_the_customers_value() -> None:
    form = merge(types("withdraw", "open_account", "deposit"))
    assert form.field("account_number").used_by == (ItemRef(1, "withdraw", 1),)
    assert form.links == (Link(3, "account_number", 2),)
    withdraw, _, deposit = form.split(good_values(form))
    assert withdraw["account_number"] == "6222020200112345679"
    assert deposit["account_number"] == "@item2.account_number"


def test_a_per_item_field_is_never_taken_from_a_producer() -> None:
    form = merge(types("open_account", "close_account"))
    assert form.links == ()
    assert form.field("item2.account_number").required


# --- validating and splitting the merged values ---------------------------------------


def test_merged_validation_uses_the_merged_keys() -> None:
    form = merge(types("deposit", "transfer"))
    values = good_values(form) | {
        "item1.amount": "0",
        "item2.amount": "1.234",
        "id_number": "110105194912310021",
        "item2.currency": "USD",
        "mystery": "x",
    }
    found = [(p.field, p.message_id) for p in form.validate(values, today=TODAY)]
    assert found == [
        ("id_number", "the ID number is wrong: please check the last character"),
        ("item1.amount", "the amount must be greater than 0"),
        ("item2.amount", "at most 2 decimal places"),
        ("item2.currency", "not one of the allowed choices"),
        ("mystery", "this form has no field {name}"),
    ]


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "1e5", ""])
def test_bad_amounts_on_the_merged_form(amount: str) -> None:
    form = merge(types("withdraw", "deposit"))
    problems = form.validate(good_values(form) | {"item2.amount": amount}, today=TODAY)
    assert [p.field for p in problems] == ["item2.amount"]


def test_split_refuses_unknown_keys_and_drops_empty_ones() -> None:
    form = merge(types("withdraw"))
    with pytest.raises(InvalidInput):
        form.split({"item2.amount": "5"})
    (item,) = form.split({"customer_name": "张三", "item1.purpose": "", "item1.amount": None})
    assert item == {"customer_name": "张三"}


def test_split_values_validate_item_by_item() -> None:
    form = merge(types(*LOST_CARD))
    items = form.split(good_values(form))
    for tx, values in zip(form.items, items, strict=True):
        assert validate_item(tx, values, today=TODAY) == []
        assert set(values) == set(tx.fields)


def test_the_merged_json_schema_resolves_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    form = merge(types(*TERM_ROLLOVER))
    schema = form.json_schema()
    assert set(schema["required"]) <= set(schema["properties"])
    validator = field_dictionary().validator(schema)
    values = good_values(form) | {"item2.term_months": 12, "item3.risk_acknowledged": True}
    assert validator.is_valid(values)
    assert not validator.is_valid(values | {"item3.risk_acknowledged": False})
    assert not validator.is_valid(values | {"item2.amount": "49"})
    assert not validator.is_valid(values | {"extra": "x"})


# --- versions --------------------------------------------------------------------------


def _transfer_v2() -> TransactionType:
    old = CATALOGUE.get("transfer")
    schema = copy.deepcopy(dict(old.schema))
    schema["required"].append("purpose")
    return new_version(old, schema)


def test_an_old_version_merges_with_a_new_one_of_another_type() -> None:
    catalogue = CATALOGUE.with_version(_transfer_v2())
    form = merge([catalogue.get("deposit", 1), catalogue.get("transfer")])
    assert [(r.code, r.version) for r in form.refs] == [("deposit", 1), ("transfer", 2)]
    assert form.field("item2.purpose").required
    assert form.field("customer_name").used_by[1] == ItemRef(2, "transfer", 2)


def test_a_bundle_is_validated_with_the_version_it_was_made_with() -> None:
    catalogue = CATALOGUE.with_version(_transfer_v2())
    made_then = merge([catalogue.get("transfer", 1)])
    made_now = merge([catalogue.get("transfer")])
    values = good_values(made_then) | {"item1.purpose": ""}
    assert made_then.validate(values, today=TODAY) == []
    assert [p.field for p in made_now.validate(values, today=TODAY)] == ["item1.purpose"]


def test_an_empty_bundle_is_refused() -> None:
    with pytest.raises(InvalidInput):
        merge([])
