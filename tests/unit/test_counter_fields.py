"""The counter's field dictionary: its JSON Schema document and the checks of each field."""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Iterator

import jsonschema
import pytest
import referencing.exceptions

from manyi.counter.domain.field_checks import amount_of
from manyi.counter.domain.field_problems import MESSAGES, FieldError, FieldProblem, read_data
from manyi.counter.domain.fields import DEF_PREFIX, FIELDS_URI, check_value, field_dictionary
from manyi.personal import id_check_char

TODAY = dt.date(2025, 6, 1)


def problem(field_id: str, value: object) -> FieldProblem:
    with pytest.raises(FieldError) as caught:
        check_value(field_id, value, today=TODAY)
    assert caught.value.field == field_id
    return caught.value.problem


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the counter tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


# --- the document ---------------------------------------------------------------


def test_dictionary_is_a_2020_12_document_with_one_def_per_field() -> None:
    document = field_dictionary().document
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == FIELDS_URI == "https://manyi.example/schemas/fields/v1"
    assert set(document["$defs"]) == set(field_dictionary().fields)
    assert len(field_dictionary().fields) >= 25


def test_identity_fields_come_first() -> None:
    assert list(field_dictionary().fields)[:4] == [
        "customer_name",
        "id_type",
        "id_number",
        "mobile",
    ]


def test_every_field_has_labels_in_both_languages_and_a_scope() -> None:
    for spec in field_dictionary().fields.values():
        assert spec.label.zh and spec.label.en, spec.id
        assert re.search("[\u4e00-\u9fff]", spec.label.zh), spec.id
        assert spec.scope in {"customer", "item"}
        assert spec.ref == DEF_PREFIX + spec.id
        for option in spec.options:
            assert option.names.zh and option.names.en


@pytest.mark.parametrize("field_id", sorted(field_dictionary().fields))
def test_every_example_passes_its_own_field(field_id: str) -> None:
    example = field_dictionary()[field_id].example
    if example is not None:
        check_value(field_id, example, today=TODAY)


def test_the_fields_the_brief_names_are_there() -> None:
    fields = field_dictionary().fields
    named = """customer_name id_type id_number mobile card_number account_number amount currency
        address occupation relationship remarks term_months product_code payee_name payee_account
        payee_bank bill_type bill_account new_mobile loss_reason id_valid_until loss_date"""
    assert set(named.split()) <= set(fields)
    assert fields["currency"].schema["enum"] == ["CNY", "USD", "EUR", "HKD", "JPY", "GBP"]
    assert [o.value for o in fields["id_type"].options] == [
        "resident_id",
        "passport",
        "hk_macau_permit",
        "taiwan_permit",
        "foreign_permanent_residence",
    ]


def test_customer_fields_and_item_fields() -> None:
    fields = field_dictionary().fields
    assert {f for f, spec in fields.items() if spec.scope == "customer"} >= {
        "customer_name",
        "id_type",
        "id_number",
        "mobile",
        "address",
        "account_number",
    }
    for name in ("amount", "currency", "payee_name", "payee_account", "term_months"):
        assert fields[name].scope == "item"


def test_unknown_field() -> None:
    found = problem("shoe_size", "42")
    assert found.message_id == "this form has no field {name}"
    assert found.params == {"name": "shoe_size"}


def test_messages_are_templates_with_matching_data() -> None:
    data = read_data("messages.json")
    assert set(data["schema_keywords"].values()) <= set(MESSAGES)
    assert {key for _, key in data["personal_reasons"]} <= set(MESSAGES)
    assert len(set(MESSAGES.values())) == len(MESSAGES)  # one id, one meaning
    for message_id in MESSAGES.values():
        assert message_id == message_id.strip()
        assert message_id.format_map(_Anything()) != message_id or "{" not in message_id


class _Anything(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def test_problem_text_fills_the_template() -> None:
    found = FieldProblem("id_number", "the check digit should be {c}", {"c": "X"})
    assert found.text() == "the check digit should be X"
    assert found.text({"the check digit should be {c}": "校验位应为 {c}"}.get) == "校验位应为 X"


# --- no network -------------------------------------------------------------------


def test_refs_resolve_without_the_network(no_network: None) -> None:
    validator = field_dictionary().validator({"$ref": DEF_PREFIX + "mobile"})
    assert validator.is_valid("13812345678")
    assert not validator.is_valid("12812345678")


def test_a_foreign_ref_fails_instead_of_being_fetched(no_network: None) -> None:
    validator = field_dictionary().validator({"$ref": "https://example.com/schemas/name"})
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.is_valid("x")


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
