"""The transaction catalogue: validating one item (missing and unknown fields, a type's
tightenings, ID numbers that must fit the ID type, yen, a new mobile, clean values)."""

from __future__ import annotations

import pytest

from manyi.counter.domain.field_problems import MESSAGES, FieldError
from manyi.counter.domain.item_checks import (
    ItemInvalid,
    check_id_number,
    check_together,
    clean_item,
    validate_item,
)
from manyi.personal import id_check_char
from tests.catalogue_helpers import CATALOGUE, TODAY, good_item, messages

CHECK_DIGIT = "the ID number is wrong: please check the last character"
# A 2023 foreign permanent resident ID number: 9, then 16 digits, then a GB 11643 check char.
FPR_2023 = "93301019800101001" + id_check_char("93301019800101001")
WRONG = "1" if FPR_2023[17] != "1" else "2"
FPR_SHAPE = "a permanent residence card number is 3 letters and 12 digits, or 18 characters"


# --- one item -------------------------------------------------------------------------


def test_missing_and_unknown_fields() -> None:
    tx = CATALOGUE.get("withdraw")
    values = good_item(tx) | {"amount": "", "purpose": None, "favourite_colour": "red"}
    assert messages(tx, values) == {
        "amount": "this field is required",
        "favourite_colour": "this form has no field {name}",
    }


def test_problems_come_one_per_field_in_form_order() -> None:
    tx = CATALOGUE.get("transfer")
    values = good_item(tx) | {"amount": "1.234", "id_number": "110105194912310021", "mobile": "1"}
    found = validate_item(tx, values, today=TODAY)
    assert [p.field for p in found] == ["id_number", "amount", "mobile"]
    assert found[0].message_id == "the ID number is wrong: please check the last character"


def test_a_type_tightens_its_fields() -> None:
    transfer = CATALOGUE.get("transfer")
    assert messages(transfer, good_item(transfer) | {"currency": "USD"}) == {
        "currency": "not one of the allowed choices"
    }
    term = CATALOGUE.get("term_deposit")
    found = validate_item(term, good_item(term) | {"amount": "49.99"}, today=TODAY)
    assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
        ("amount", "the amount must be at least {limit}", {"limit": "50.00"})
    ]
    # Over every amount's bound and the type's own: the type's limit is the one named.
    withdraw = CATALOGUE.get("withdraw")
    for huge in ("1000000000", "1000000000000000000"):
        found = validate_item(withdraw, good_item(withdraw) | {"amount": huge}, today=TODAY)
        assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
            ("amount", "the amount may be at most {limit}", {"limit": "1,000,000.00"})
        ], huge
    assert messages(withdraw, good_item(withdraw) | {"amount": "1000000"}) == {}
    assert messages(term, good_item(term) | {"amount": "50"}) == {}
    wealth = CATALOGUE.get("wealth_buy")
    assert messages(wealth, good_item(wealth) | {"risk_acknowledged": "no"}) == {
        "risk_acknowledged": "please confirm"
    }


def test_the_id_number_must_fit_the_id_type() -> None:
    tx = CATALOGUE.get("card_loss")
    base = good_item(tx)
    assert messages(tx, base | {"id_type": "passport"}) == {
        "id_number": "a passport number has 5 to 17 letters and digits"
    }
    assert messages(tx, base | {"id_type": "passport", "id_number": "E12345678"}) == {}
    assert messages(tx, base | {"id_type": "hk_macau_permit", "id_number": "H12345678"}) == {}
    assert messages(tx, base | {"id_type": "taiwan_permit", "id_number": "1234567"}) == {
        "id_number": "a Taiwan permit number has 8 digits"
    }


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("resident_id", "11010519491231002x"),
        ("passport", "e 1234 5678"),
        ("passport", "X1234567"),
        ("hk_macau_permit", "M87654321"),
        ("taiwan_permit", "12345678"),
        ("foreign_permanent_residence", "USA330119800101"),
        ("foreign_permanent_residence", FPR_2023),
    ],
)
def test_good_id_numbers(id_type: str, number: str) -> None:
    assert check_id_number(id_type, number, today=TODAY) == number.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("id_type", "number", "message_id"),
    [
        ("resident_id", "110105194912310021", CHECK_DIGIT),
        ("resident_id", "11010519491231002", "an ID number has 18 characters, not {n}"),
        ("resident_id", "010105194912310021", "the region code {code} cannot start with 0"),
        ("resident_id", "110105203001010011", "birth date {d} is in the future"),
        ("resident_id", "110105194902300029", "birth date {d} is not a date"),
        ("passport", "E1", "a passport number has 5 to 17 letters and digits"),
        ("hk_macau_permit", "C12345678", MESSAGES["id_hk_macau"]),
        ("taiwan_permit", "T1234567", "a Taiwan permit number has 8 digits"),
        ("foreign_permanent_residence", "US330119800101", FPR_SHAPE),
        ("foreign_permanent_residence", FPR_2023[:17] + WRONG, CHECK_DIGIT),
    ],
)
def test_bad_id_numbers(id_type: str, number: str, message_id: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_id_number(id_type, number, today=TODAY)
    assert caught.value.field == "id_number"
    assert caught.value.message_id == message_id


def test_an_unknown_id_type_is_the_types_problem() -> None:
    with pytest.raises(FieldError) as caught:
        check_id_number("library_card", "12345", today=TODAY)
    assert caught.value.field == "id_type"


def test_yen_have_no_decimals() -> None:
    tx = CATALOGUE.get("withdraw")
    found = validate_item(tx, good_item(tx) | {"amount": "1000.50", "currency": "JPY"}, today=TODAY)
    assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
        ("amount", "{currency} amounts have no decimal places", {"currency": "JPY"})
    ]
    assert messages(tx, good_item(tx) | {"amount": "1000.00", "currency": "JPY"}) == {}


def test_a_new_mobile_must_differ_from_the_current_one() -> None:
    found = check_together({"mobile": "13812345678", "new_mobile": "13812345678"}, today=TODAY)
    assert [(p.field, p.message_id) for p in found] == [
        ("new_mobile", "the new mobile number is the same as the current one")
    ]
    assert check_together({"mobile": "13812345678", "new_mobile": "13912345678"}, today=TODAY) == []


def test_clean_item_normalises_or_lists_the_problems() -> None:
    tx = CATALOGUE.get("deposit")
    clean = clean_item(
        tx, good_item(tx) | {"amount": "1,000.5", "id_number": "11010519491231002x"}, today=TODAY
    )
    assert clean["amount"] == "1000.50" and clean["id_number"] == "11010519491231002X"
    with pytest.raises(ItemInvalid) as caught:
        clean_item(tx, {"customer_name": "张三", "amount": "0"}, today=TODAY)
    assert [p.field for p in caught.value.problems] == ["account_number", "amount", "currency"]
