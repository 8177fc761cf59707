"""The checks of the counter's identity and contact fields: ID numbers and types, names,
mobiles, cards and account numbers."""

from __future__ import annotations

import pytest

from manyi.counter.domain.field_problems import MESSAGES
from manyi.counter.domain.fields import check_value
from tests.counter_field_helpers import TODAY, problem

# --- identity ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
    ],
)
def test_id_number_is_normalised(typed: str, stored: str) -> None:
    assert check_value("id_number", typed, today=TODAY) == stored


def test_id_number_shape_without_its_type() -> None:
    assert problem("id_number", "AB1").message_id == "not in the expected format, e.g. {example}"
    assert problem("id_number", "1101051949123100212").message_id.startswith("not in the expected")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张三", "张三"),
        ("  张  三 ", "张 三"),
        ("买买提•艾力", "买买提·艾力"),
        ("John O'Neil-Smith", "John O'Neil-Smith"),
    ],
)
def test_good_names(typed: str, stored: str) -> None:
    assert check_value("customer_name", typed, today=TODAY) == stored


@pytest.mark.parametrize("name", ["张3", "<script>", "Zhang@San"])
def test_bad_names(name: str) -> None:
    assert problem("customer_name", name).message_id == MESSAGES["name_chars"]


def test_blank_and_too_long_names() -> None:
    assert problem("customer_name", "").message_id == "this field is required"
    assert problem("customer_name", "   ").message_id == "this field is required"
    too_long = problem("customer_name", "张" * 51)
    assert (too_long.message_id, too_long.params) == ("at most {limit} characters", {"limit": 50})


@pytest.mark.parametrize("value", ["resident_id", "passport", "foreign_permanent_residence"])
def test_id_types(value: str) -> None:
    assert check_value("id_type", value, today=TODAY) == value


def test_unknown_id_type() -> None:
    assert problem("id_type", "driving_licence").message_id == "not one of the allowed choices"


# --- mobile and card ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "008613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_good_mobiles(typed: str) -> None:
    assert check_value("mobile", typed, today=TODAY) == "13812345678"


@pytest.mark.parametrize(
    ("typed", "message_id", "params"),
    [
        ("12812345678", "a mobile number starts with 13 to 19, not {p}", {"p": "12"}),
        ("1381234567", "a mobile number has 11 digits, not {n}", {"n": "10"}),
        ("+44 7700 900123", "only mainland numbers (+86)", {}),
        ("138abcd5678", "digits, spaces and hyphens only", {}),
    ],
)
def test_bad_mobiles(typed: str, message_id: str, params: dict[str, str]) -> None:
    found = problem("mobile", typed)
    assert (found.message_id, dict(found.params)) == (message_id, params)


def test_new_mobile_is_checked_like_a_mobile() -> None:
    assert check_value("new_mobile", "+86 139 1234 5678", today=TODAY) == "13912345678"
    assert problem("new_mobile", "1391234").message_id == "a mobile number has 11 digits, not {n}"


@pytest.mark.parametrize(
    "typed", ["6222020200112345679", "6222 0202 0011 2345 679", "4111-1111-1111-1111"]
)
def test_good_cards(typed: str) -> None:
    assert check_value("card_number", typed, today=TODAY) == typed.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("typed", "message_id"),
    [
        ("6222020200112345674", MESSAGES["card_luhn"]),
        ("4111111111111112", MESSAGES["card_luhn"]),
        ("411111111111", "a card number has 13 to 19 digits, not {n}"),
        ("4111 1111 1111 111X", "digits, spaces and hyphens only"),
    ],
)
def test_bad_cards(typed: str, message_id: str) -> None:
    assert problem("card_number", typed).message_id == message_id


def test_account_numbers_are_digits_in_a_length_range() -> None:
    assert check_value("account_number", "1101 2345 6789 0123", today=TODAY) == "1101234567890123"
    assert problem("account_number", "12345").message_id == MESSAGES["format"]
    assert problem("account_number", "1" * 26).message_id == MESSAGES["format"]
    assert problem("account_number", "11012345ABC").message_id == MESSAGES["digits"]


def test_every_personal_reason_becomes_a_message() -> None:
    """No refusal of manyi.personal falls through to the untranslated fallback."""
    cases = [
        ("mobile", "12812345678"),
        ("mobile", "1381234567"),
        ("mobile", "+44 7700 900123"),
        ("mobile", "13x12345678"),
        ("card_number", "4111111111111112"),
        ("card_number", "411111111111"),
        ("card_number", "4111x11111111111"),
    ]
    for field_id, value in cases:
        assert problem(field_id, value).message_id != "{reason}", value
