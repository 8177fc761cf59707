"""The checks of the counter's value fields: amounts and currencies, dates and ID expiries,
terms, booleans, free text and codes, and how a field error reads."""

from __future__ import annotations

import pytest

from manyi.counter.domain.field_checks import amount_of
from manyi.counter.domain.field_problems import MESSAGES, FieldError
from manyi.counter.domain.fields import check_value, field_dictionary
from manyi.personal import id_check_char
from tests.counter_field_helpers import TODAY, problem

# --- amounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("100", "100"),
        ("100.5", "100.50"),
        ("0.01", "0.01"),
        ("1,000.50", "1000.50"),
        ("1,234,567", "1234567"),
        ("  ５０ ", "50"),
        ("007", "7"),
        ("1.230", "1.23"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_good_amounts(typed: str, stored: str) -> None:
    assert check_value("amount", typed, today=TODAY) == stored
    assert amount_of(stored) is not None


@pytest.mark.parametrize(
    ("typed", "message_id"),
    [
        ("0", "the amount must be greater than 0"),
        ("0.00", "the amount must be greater than 0"),
        ("-1", "the amount must be greater than 0"),
        ("1.234", "at most 2 decimal places"),
        ("0.001", "at most 2 decimal places"),
        ("1e5", "write the amount in digits, e.g. 1000.00"),
        ("¥100", "write the amount in digits, e.g. 1000.00"),
        ("+5", "write the amount in digits, e.g. 1000.00"),
        ("1.2.3", "write the amount in digits, e.g. 1000.00"),
        ("1,00", "write the amount in digits, e.g. 1000.00"),
        ("NaN", "write the amount in digits, e.g. 1000.00"),
        ("1000000000000", "the amount may be at most {limit}"),
        ("12345678901234567890", "the amount may be at most {limit}"),  # not "15 characters"
    ],
)
def test_bad_amounts(typed: str, message_id: str) -> None:
    assert problem("amount", typed).message_id == message_id


@pytest.mark.parametrize("value", [100, 100.5, True])
def test_amounts_are_strings_never_numbers(value: object) -> None:
    assert problem("amount", value).message_id == "must be text"


def test_amount_bounds_are_compared_as_decimals() -> None:
    found = problem("daily_limit", "5000000.01")
    assert (found.message_id, found.params) == (
        "the amount may be at most {limit}",
        {"limit": "5,000,000.00"},
    )
    assert check_value("daily_limit", "5000000", today=TODAY) == "5000000"


def test_amount_of() -> None:
    assert str(amount_of("1000.50")) == "1000.50"
    assert amount_of("1e5") is None
    assert amount_of(100) is None


def test_currencies() -> None:
    assert check_value("currency", "JPY", today=TODAY) == "JPY"
    assert problem("currency", "RUB").message_id == "not one of the allowed choices"


# --- other types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["2025-03-01", "2025-3-1", "2025/03/01", "2025.3.1", "2025年3月1日", "2025 年 3 月 1 日"],
)
def test_dates_are_normalised(typed: str) -> None:
    assert check_value("loss_date", typed, today=TODAY) == "2025-03-01"


@pytest.mark.parametrize("typed", ["2025-02-30", "yesterday", "20250301", "01/03/2025"])
def test_bad_dates(typed: str) -> None:
    found = problem("loss_date", typed)
    assert found.message_id == MESSAGES["date"]
    assert found.params == {"example": "2025-06-01"}


def test_dates_against_today() -> None:
    assert problem("loss_date", "2025-06-02").message_id == "this date is in the future"
    assert check_value("loss_date", "2025-06-01", today=TODAY) == "2025-06-01"
    assert problem("id_valid_until", "2025-05-31").message_id == "this date has passed"
    assert check_value("id_valid_until", "2025-06-01", today=TODAY) == "2025-06-01"


@pytest.mark.parametrize("typed", ["long_term", "LONG_TERM", "长期", " 长期有效 ", "long-term"])
def test_a_lifetime_id_card_is_valid_for_life(typed: str) -> None:
    assert check_value("id_valid_until", typed, today=TODAY) == "long_term"


@pytest.mark.parametrize(
    ("typed", "message"),
    [("forever", MESSAGES["date"]), ("long term", MESSAGES["date"]), (20350630, "must be text")],
)
def test_an_id_expiry_is_a_date_or_long_term_and_nothing_else(typed: object, message: str) -> None:
    assert problem("id_valid_until", typed).message_id == message


def test_the_dictionary_says_long_term_too() -> None:
    """The schema accepts what the Python check gives, so a stored value validates offline."""
    validator = field_dictionary().field_validator("id_valid_until")
    assert validator.is_valid("long_term") and validator.is_valid("2035-06-30")
    assert not validator.is_valid("forever") and not validator.is_valid("2035-13-01")


def test_terms_are_whole_months_from_a_list() -> None:
    assert check_value("term_months", 12, today=TODAY) == 12
    assert check_value("term_months", "１２", today=TODAY) == 12
    assert problem("term_months", 7).message_id == "not one of the allowed choices"
    assert problem("term_months", "twelve").message_id == "must be a whole number"
    assert problem("term_months", True).message_id == "must be a whole number"


@pytest.mark.parametrize(("typed", "stored"), [(True, True), ("yes", True), ("否", False)])
def test_booleans(typed: object, stored: bool) -> None:
    assert check_value("auto_renew", typed, today=TODAY) is stored


def test_free_text_limits() -> None:
    assert check_value("remarks", " 请 \n 尽快 ", today=TODAY) == "请 尽快"
    assert problem("purpose", "字" * 51).params == {"limit": 50}
    assert problem("address", "北京").message_id == "at least {limit} characters"
    assert problem("remarks", "a\x00b").message_id == "must not contain control characters"


def test_codes_are_upper_case_without_spaces() -> None:
    assert check_value("product_code", "wm 2025 a001", today=TODAY) == "WM2025A001"
    assert check_value("bill_account", "0101-234567", today=TODAY) == "0101234567"
    assert problem("product_code", "WM!").message_id == MESSAGES["format"]


def test_a_field_error_is_an_invalid_input_with_the_message_id() -> None:
    with pytest.raises(FieldError) as caught:
        check_value("id_type", "x", today=TODAY)
    assert caught.value.message == caught.value.message_id == "not one of the allowed choices"
    assert caught.value.status_code == 422


def test_fpr_2023_numbers_have_a_check_character() -> None:
    """Not a field check (it needs the ID type): see test_counter_item_validation; the helper
    used there must agree with manyi.personal."""
    first17 = "93301019800101001"
    assert len(first17 + id_check_char(first17)) == 18


def test_an_elderly_customer_reads_a_wrong_id_number_and_a_money_limit_plainly() -> None:
    from manyi.counter.domain.item_checks import check_id_number
    from manyi.web.i18n import translator

    zh = translator("zh-CN")
    with pytest.raises(FieldError) as caught:
        check_id_number("resident_id", "110105194912310021", today=TODAY)
    assert caught.value.problem.text(zh) == "身份证号码有误，请核对最后一位"
    assert problem("daily_limit", "9" * 20).text(zh) == "金额不能超过 5,000,000.00"
