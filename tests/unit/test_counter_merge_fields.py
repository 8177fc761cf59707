"""One form for a bundle: shared fields once, per-item fields apart, sections in order,
required when any transaction requires it, constraints combined and conflicts named."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.counter.domain.catalogue import Catalogue
from manyi.counter.domain.fields import DEF_PREFIX
from manyi.counter.domain.merge import ItemRef, MergeConflict, combine_constraints, merge
from tests.catalogue_helpers import CATALOGUE, NEW_PHONE, TODAY, good_values, keys, types


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
