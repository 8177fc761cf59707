"""One form for a bundle: shared fields once, per-item fields apart, constraints combined,
conflicts named, versions kept, and what the merged form saves."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.catalogue import Catalogue, TransactionType, new_version
from manyi.counter.domain.fields import DEF_PREFIX, field_dictionary
from manyi.counter.domain.item_checks import validate_item
from manyi.counter.domain.merge import (
    ItemRef,
    Link,
    MergeConflict,
    MergedForm,
    authorisations_saved,
    combine_constraints,
    fields_merged,
    fields_separately,
    measure,
    merge,
    pin_entries_saved,
    saving_percent,
)
from manyi.errors import InvalidInput

TODAY = dt.date(2025, 6, 1)
CATALOGUE = Catalogue.load()
NEW_CUSTOMER = ["open_account", "card_issue", "mobile_banking_signup", "deposit"]
LOST_CARD = ["card_loss", "card_replace"]
TERM_ROLLOVER = ["term_early_withdraw", "term_deposit", "wealth_buy"]
NEW_PHONE = ["change_mobile", "mobile_banking_signup", "transfer"]


def types(*codes: str) -> list[TransactionType]:
    return [CATALOGUE.get(code) for code in codes]


def good_value(field_id: str) -> Any:
    spec = field_dictionary()[field_id]
    if spec.example is not None:
        return spec.example
    if spec.options:
        return spec.options[0].value
    return True if spec.schema.get("type") == "boolean" else "无"


def good_values(form: MergedForm) -> dict[str, Any]:
    return {f.key: good_value(f.field_id) for f in form.fields}


def keys(form: MergedForm) -> list[str]:
    return [f.key for f in form.fields]


def custom(code: str, properties: dict[str, dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """A small transaction type document for the tests."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            name: {"$ref": DEF_PREFIX + name, **extra} for name, extra in properties.items()
        },
        "required": list(properties),
        "additionalProperties": False,
        "x-manyi": {
            "code": code,
            "version": 1,
            "names": {"zh": code, "en": code},
            "needs_pin": False,
            "identity_check": "none",
            "authorisation": [],
            "posting": "deposit",
        }
        | meta,
    }


# --- shared once, per item apart --------------------------------------------------


def test_shared_fields_appear_once_and_list_their_transactions() -> None:
    form = merge(types("withdraw", "transfer"))
    assert keys(form).count("customer_name") == 1
    name = form.field("customer_name")
    assert name.item is None
    assert name.used_by == (ItemRef(1, "withdraw", 1), ItemRef(2, "transfer", 1))
    assert form.field("account_number").used_by == name.used_by


def test_amounts_of_different_transactions_stay_apart() -> None:
    form = merge(types("deposit", "transfer"))
    assert "amount" not in keys(form)
    assert form.field("item1.amount").used_by == (ItemRef(1, "deposit", 1),)
    assert form.field("item2.amount").used_by == (ItemRef(2, "transfer", 1),)
    assert form.field("item2.payee_name").item == 2


def test_two_transactions_of_the_same_type_stay_apart() -> None:
    form = merge(types("transfer", "transfer"))
    for name in ("amount", "payee_name", "payee_account", "payee_bank", "currency", "purpose"):
        assert f"item1.{name}" in keys(form) and f"item2.{name}" in keys(form)
    assert keys(form).count("account_number") == 1  # paid from the same account
    values = good_values(form) | {"item1.amount": "100", "item2.amount": "250.50"}
    first, second = form.split(values)
    assert (first["amount"], second["amount"]) == ("100", "250.50")
    assert first["customer_name"] == second["customer_name"] == "张三"


def test_a_type_can_ask_a_customer_field_per_item() -> None:
    form = merge(types("withdraw", "close_account"))
    assert "account_number" in keys(form)  # the withdrawal's
    closing = form.field("item2.account_number")
    assert closing.label.zh == "销户账号"
    values = good_values(form) | {"account_number": "6222020200112345679"}
    values["item2.account_number"] = "6217000010001234569"
    withdraw, close = form.split(values)
    assert withdraw["account_number"] == "6222020200112345679"
    assert close["account_number"] == "6217000010001234569"


def test_sections_put_the_customer_first_then_each_item() -> None:
    form = merge(types(*NEW_PHONE))
    customer, *items = form.sections
    assert customer.key == "customer" and customer.names.en == "Customer details"
    assert customer.fields == (
        "customer_name",
        "id_type",
        "id_number",
        "mobile",
        "card_number",
        "account_number",
    )
    assert [s.key for s in items] == ["item1", "item2", "item3"]
    assert items[0].names.zh == "变更预留手机号码" and items[0].fields == ("item1.new_mobile",)
    assert items[2].fields[:3] == ("item3.payee_name", "item3.payee_account", "item3.payee_bank")
    assert [f.key for f in form.fields] == [k for s in form.sections for k in s.fields]


def test_identity_order_is_name_id_type_id_number_mobile() -> None:
    form = merge(types("wealth_buy", "card_loss"))
    assert form.sections[0].fields[:4] == ("customer_name", "id_type", "id_number", "mobile")


# --- required and constraints ------------------------------------------------------


def test_required_when_any_transaction_requires_it() -> None:
    deposit = CATALOGUE.get("deposit")
    assert "id_number" not in deposit.required
    assert not merge([deposit]).field("id_number").required
    assert merge(types("deposit", "withdraw")).field("id_number").required
    assert not merge(types("withdraw", "transfer")).field("item1.purpose").required


def test_combine_takes_the_strictest() -> None:
    one, two = ItemRef(1, "a", 1), ItemRef(2, "b", 1)
    combined = combine_constraints(
        "amount",
        [
            (one, {"$ref": "x", "maxLength": 12, "x-manyi-minimum": "50", "pattern": "^1"}),
            (two, {"maxLength": 9, "x-manyi-minimum": "10000", "x-manyi-maximum": "5e5"}),
        ],
    )
    assert combined == {
        "maxLength": 9,
        "x-manyi-minimum": "10000",
        "x-manyi-maximum": "5e5",
        "allOf": [{"pattern": "^1"}],
    }
    enums = combine_constraints(
        "id_type",
        [
            (one, {"enum": ["resident_id", "passport", "taiwan_permit"]}),
            (two, {"enum": ["passport", "resident_id"]}),
        ],
    )
    assert enums == {"enum": ["resident_id", "passport"]}


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        ({"enum": ["resident_id"]}, {"enum": ["passport"]}, "no choice is allowed by all of them"),
        ({"const": True}, {"const": False}, "they require different values"),
        ({"const": 1}, {"enum": [True]}, "no choice is allowed by all of them"),
        ({"minLength": 10}, {"maxLength": 5}, "their limits leave no value"),
        ({"x-manyi-minimum": "100"}, {"x-manyi-maximum": "99.99"}, "their limits leave no value"),
        ({"exclusiveMinimum": 3}, {"exclusiveMaximum": 3}, "their limits leave no value"),
    ],
)
def test_combine_reports_what_cannot_be_combined(
    first: dict[str, Any], second: dict[str, Any], reason: str
) -> None:
    one, two = ItemRef(1, "a", 1), ItemRef(2, "b", 3)
    with pytest.raises(MergeConflict) as caught:
        combine_constraints("some_field", [(one, first), (two, second)])
    assert caught.value.field_id == "some_field"
    assert caught.value.items == (one, two)
    assert caught.value.text() == f"some_field cannot be merged for 1. a v1, 2. b v3: {reason}"


def test_merge_combines_the_shared_fields_of_the_forms() -> None:
    catalogue = Catalogue.from_dict(
        {
            "transactions": [
                custom("locals", {"id_type": {"enum": ["resident_id", "hk_macau_permit"]}}),
                custom(
                    "short_names",
                    {
                        "id_type": {},
                        "customer_name": {
                            "maxLength": 20,
                            "x-manyi-label": {"zh": "户名", "en": "Holder"},
                        },
                    },
                ),
                custom("shorter_names", {"customer_name": {"maxLength": 10}}),
            ]
        }
    )
    form = merge(
        [catalogue.get("locals"), catalogue.get("short_names"), catalogue.get("shorter_names")]
    )
    id_type = form.field("id_type")
    assert id_type.schema == {
        "$ref": DEF_PREFIX + "id_type",
        "enum": ["resident_id", "hk_macau_permit"],
    }
    assert [o.value for o in id_type.options] == ["resident_id", "hk_macau_permit"]
    name = form.field("customer_name")
    assert name.schema["maxLength"] == 10
    assert name.label.zh == "客户姓名"  # shared: the dictionary's label, not one form's
    problems = form.validate({"id_type": "passport", "customer_name": "张" * 11}, today=TODAY)
    assert [(p.field, p.message_id) for p in problems] == [
        ("customer_name", "at most {limit} characters"),
        ("id_type", "not one of the allowed choices"),
    ]


def test_merge_names_the_field_and_transactions_of_a_conflict() -> None:
    catalogue = Catalogue.from_dict(
        {
            "transactions": [
                custom("locals", {"id_type": {"enum": ["resident_id"]}}),
                custom("foreigners", {"id_type": {"enum": ["passport"]}}),
            ]
        }
    )
    with pytest.raises(MergeConflict) as caught:
        merge([catalogue.get("locals"), catalogue.get("foreigners")])
    assert caught.value.field_id == "id_type"
    assert [i.code for i in caught.value.items] == ["locals", "foreigners"]


def test_a_tightening_beyond_the_dictionary_is_a_conflict_too() -> None:
    catalogue = Catalogue.from_dict(
        {"transactions": [custom("long", {"customer_name": {"minLength": 60}})]}
    )
    with pytest.raises(MergeConflict):
        merge([catalogue.get("long")])


def test_per_item_tightenings_reach_the_merged_field() -> None:
    form = merge(types("transfer", "wealth_buy", "term_deposit"))
    assert [o.value for o in form.field("item1.currency").options] == ["CNY"]
    assert form.field("item3.amount").schema["x-manyi-minimum"] == "50"
    assert len(form.field("item3.currency").options) == 6


def test_an_item_form_label_and_help_are_shown() -> None:
    field = merge(types("term_early_withdraw")).field("item1.amount")
    assert field.label.en == "Amount to withdraw early"
    assert field.help is not None and field.help.zh == "不填则全部提前支取"
    assert not field.required


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


# --- what merging saves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "separately", "merged", "percent"),
    [
        (NEW_CUSTOMER, 27, 13, 51.9),
        (LOST_CARD, 14, 9, 35.7),
        (TERM_ROLLOVER, 23, 15, 34.8),
        (NEW_PHONE, 22, 15, 31.8),
    ],
)
def test_typical_bundles_save_fields(
    codes: Sequence[str], separately: int, merged: int, percent: float
) -> None:
    bundle = types(*codes)
    assert fields_separately(bundle) == separately
    assert fields_merged(bundle) == merged
    assert saving_percent(separately, merged) == percent
    assert measure(merge(bundle)).fields_saved_percent == percent


def test_one_transaction_saves_nothing() -> None:
    saving = measure(merge(types("deposit")))
    assert (saving.fields_separately, saving.fields_merged, saving.fields_saved_percent) == (
        7,
        7,
        0.0,
    )
    assert (saving.pin_entries_saved, saving.authorisations_saved) == (0, 0)
    assert saving_percent(0, 0) == 0.0


def test_pin_entries_saved() -> None:
    assert pin_entries_saved(types(*NEW_CUSTOMER)) == 1  # card PIN and mobile banking
    assert pin_entries_saved(types(*TERM_ROLLOVER)) == 2
    assert pin_entries_saved(types("deposit", "card_loss")) == 0


def test_authorisations_saved_depend_on_the_values() -> None:
    bundle = types("withdraw", "transfer", "close_account", "deposit")
    small = [{"amount": "100"}, {"amount": "100"}, {}, {"amount": "100"}]
    large = [{"amount": "60000"}, {"amount": "300000"}, {}, {"amount": "100"}]
    assert authorisations_saved(bundle, small) == 0  # only the closure needs one
    assert authorisations_saved(bundle, large) == 2
    assert authorisations_saved(bundle, small, {"elderly"}) == 2


def test_measure_reports_the_one_authorisation_level() -> None:
    form = merge(types("withdraw", "transfer", "close_account"))
    values = good_values(form) | {"item1.amount": "60000", "item2.amount": "300000"}
    saving = measure(form, values)
    assert saving.level is Level.REMOTE
    assert saving.authorisations_saved == 2
    assert saving.pin_entries_saved == 2
    assert saving.identity_checks_saved == 0
    assert measure(form).level is Level.SUPERVISOR  # without values: the closure's rule only
