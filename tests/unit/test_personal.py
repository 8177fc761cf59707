"""Personal data: resident ID, mobile and card checks, masking, the repeat-complainant key."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.personal import (
    check_card_number,
    check_mobile,
    check_resident_id,
    id_index,
    luhn_ok,
    mask_card,
    mask_id,
    mask_name,
    mask_phone,
    name_index,
    person_key,
    phone_index,
    resident_id_ok,
)
from manyi.sealed import DEVELOPMENT_DATA_KEY, DataKeys

TODAY = dt.date(2026, 3, 10)
PUBLISHED_SAMPLE = "11010519491231002X"  # the widely published valid example


def with_check_char(first17: str) -> str:
    """An independent ISO 7064 MOD 11-2 check: sum(d_i * 2^(17-i)) + check ≡ 1 (mod 11)."""
    total = sum(int(d) * 2 ** (17 - i) for i, d in enumerate(first17))
    for char in "0123456789X":
        value = 10 if char == "X" else int(char)
        if (total + value) % 11 == 1:
            return first17 + char
    raise AssertionError("unreachable")


# --- resident ID ----------------------------------------------------------------


def test_published_sample_is_valid_and_lowercase_x_is_uppercased() -> None:
    assert with_check_char(PUBLISHED_SAMPLE[:17]) == PUBLISHED_SAMPLE
    assert check_resident_id(PUBLISHED_SAMPLE, TODAY) == PUBLISHED_SAMPLE
    assert check_resident_id("11010519491231002x", TODAY) == PUBLISHED_SAMPLE
    assert check_resident_id(" 110105 19491231 002x ", TODAY) == PUBLISHED_SAMPLE
    assert resident_id_ok(PUBLISHED_SAMPLE, TODAY)


def test_full_width_input_is_normalised() -> None:
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert check_resident_id(full_width, TODAY) == PUBLISHED_SAMPLE


@pytest.mark.parametrize("first17", ["44030419900101123", "32010619851231000", "51010719591001452"])
def test_computed_check_digits_are_accepted(first17: str) -> None:
    number = with_check_char(first17)
    assert check_resident_id(number, TODAY) == number


def test_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(ValueError, match="check digit should be X"):
        check_resident_id("110105194912310021", TODAY)
    good = with_check_char("44030419900101123")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValueError, match=f"check digit should be {good[17]}"):
        check_resident_id(wrong, TODAY)
    assert not resident_id_ok(wrong, TODAY)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must be 18 characters"),
        ("110105491231002", "must be 18 characters, got 15"),  # first generation
        ("11010519491231002X1", "must be 18 characters, got 19"),
        ("1101051949123100XX", "17 digits followed by a digit or X"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        ("A1010519491231002X", "17 digits followed by a digit or X"),
        (with_check_char("01010519491231002"), "region code 010105 cannot start with 0"),
        (with_check_char("11010519990230002"), "birth date 19990230 is not a date"),
        (with_check_char("11010519991301002"), "birth date 19991301 is not a date"),
        (with_check_char("11010518991231002"), "birth date 18991231 is before 1900"),
        (with_check_char("11010520260311002"), "birth date 20260311 is in the future"),
    ],
)
def test_bad_ids_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_resident_id(text, TODAY)
    assert not resident_id_ok(text, TODAY)


def test_leap_day_births() -> None:
    leap = with_check_char("11010520000229001")
    assert check_resident_id(leap, TODAY) == leap
    # 1900 was not a leap year (divisible by 100, not by 400).
    with pytest.raises(ValueError, match="birth date 19000229 is not a date"):
        check_resident_id(with_check_char("11010519000229001"), TODAY)
    with pytest.raises(ValueError, match="birth date 20230229 is not a date"):
        check_resident_id(with_check_char("11010520230229001"), TODAY)


def test_born_today_is_fine_and_today_defaults_to_the_real_date() -> None:
    born_today = with_check_char("11010520260310001")
    assert check_resident_id(born_today, TODAY) == born_today
    far_future = with_check_char("11010521000101001")
    assert not resident_id_ok(far_future)


@given(
    region=st.integers(100000, 999999),
    born=st.dates(dt.date(1900, 1, 1), TODAY),
    sequence=st.integers(0, 999),
)
def test_any_well_formed_id_passes_and_any_other_check_char_fails(
    region: int, born: dt.date, sequence: int
) -> None:
    number = with_check_char(f"{region}{born:%Y%m%d}{sequence:03d}")
    assert check_resident_id(number.lower(), TODAY) == number
    for other in "0123456789X".replace(number[17], ""):
        assert not resident_id_ok(number[:17] + other, TODAY)


# --- mobile ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "8613812345678",
        " 138 1234 5678 ",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_numbers_are_normalised(text: str) -> None:
    assert check_mobile(text) == "13812345678"


def test_every_mobile_prefix_from_13_to_19() -> None:
    for second in "3456789":
        assert check_mobile(f"1{second}912345678") == f"1{second}912345678"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12812345678", "cannot start with 12"),
        ("10012345678", "cannot start with 10"),
        ("23812345678", "cannot start with 23"),
        ("1381234567", "must have 11 digits, got 10"),
        ("138123456789", "must have 11 digits, got 12"),
        ("+85213812345678", r"only mainland mobile numbers \(\+86\)"),
        ("0085213812345678", "must have 11 digits, got 16"),
        ("138-1234-567a", "only contain digits"),
        ("", "must have 11 digits, got 0"),
    ],
)
def test_bad_mobiles(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_mobile(text)


# --- cards ----------------------------------------------------------------------


def test_luhn_on_known_test_numbers() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert luhn_ok("5555555555554444")
    assert luhn_ok("378282246310005")  # 15-digit American Express test number
    assert luhn_ok("79927398713")  # the textbook example
    assert not luhn_ok("79927398710")
    assert not luhn_ok("")
    assert not luhn_ok("4111 1111 1111 1111")  # luhn_ok takes bare digits only
    assert not luhn_ok("٤١١١")  # Arabic-Indic digits are not ASCII digits


def test_card_numbers() -> None:
    assert check_card_number("4111 1111 1111 1111") == "4111111111111111"
    assert check_card_number("4111-1111-1111-1111") == "4111111111111111"
    with pytest.raises(ValueError, match="fails the Luhn check"):
        check_card_number("4111 1111 1111 1112")
    with pytest.raises(ValueError, match="13 to 19 digits, got 12"):
        check_card_number("4111 1111 1111")
    with pytest.raises(ValueError, match="13 to 19 digits, got 0"):
        check_card_number("  ")
    with pytest.raises(ValueError, match="13 to 19 digits, got 20"):
        check_card_number("4" * 20)
    with pytest.raises(ValueError, match="only contain digits"):
        check_card_number("4111 1111 1111 111x")


@given(st.text(alphabet="0123456789", min_size=1, max_size=19), st.integers(0, 18))
def test_luhn_catches_every_single_digit_change(digits: str, index: int) -> None:
    index %= len(digits)
    changed = digits[:index] + str((int(digits[index]) + 1) % 10) + digits[index + 1 :]
    assert not (luhn_ok(digits) and luhn_ok(changed))


# --- masking --------------------------------------------------------------------


def test_masks_follow_the_banking_convention() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("John Smith") == "J*** S****"
    assert mask_name("买买提·艾力") == "买**·艾*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_id("110101199003074578") == "110101********4578"
    assert mask_id("11010519491231002x") == "110105********002X"
    assert mask_card("4111 1111 1111 1111") == "411111******1111"
    assert mask_card("6228480402564890018") == "622848*********0018"


@pytest.mark.parametrize(
    ("masked", "expected"),
    [
        (mask_name(""), ""),
        (mask_name(None), ""),
        (mask_name("  "), ""),
        (mask_name("张"), "*"),
        (mask_name(" 张三 "), "张*"),
        (mask_name("张 三"), "张*"),
        (mask_name("J Smith"), "* S****"),
        (mask_name("J. Smith"), "*. S****"),
        (mask_name("a b"), "* *"),
        (mask_phone(""), ""),
        (mask_phone(None), ""),
        (mask_phone("110"), "**0"),
        (mask_phone("12345"), "****5"),
        (mask_phone("021-6123 4567"), "021****4567"),  # a landline, masked as written
        (mask_id(""), ""),
        (mask_id("12"), "**"),
        (mask_id("1101051949"), "*******949"),
        (mask_card(None), ""),
        (mask_card("1234"), "***4"),
    ],
)
def test_masking_never_raises_and_never_shows_short_values_whole(
    masked: str, expected: str
) -> None:
    assert masked == expected


@given(st.text(max_size=40))
def test_masking_any_text_never_raises_and_always_hides_something(text: str) -> None:
    for mask in (mask_phone, mask_id, mask_card):
        masked = mask(text)
        assert not masked or "*" in masked
    name = unicodedata.normalize("NFKC", text)
    if any(not (char.isspace() or char in "·•・.") for char in name):
        assert "*" in mask_name(text)
    else:
        assert "*" not in mask_name(text)


# --- repeat-complainant key -----------------------------------------------------

KEYS = DataKeys.of(DEVELOPMENT_DATA_KEY, pepper="bank-secret-pepper")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def keyed(purpose: str, text: str) -> str:
    return hmac.new(b"bank-secret-pepper", f"{purpose}\x00{text}".encode(), "sha256").hexdigest()


def test_person_key_prefers_the_id_number_then_the_mobile() -> None:
    by_id, by_phone = keyed("resident_id", PUBLISHED_SAMPLE), keyed("mobile", "13812345678")
    assert person_key(PUBLISHED_SAMPLE, "13812345678", "张三", keys=KEYS) == by_id
    assert person_key("11010519491231002x", None, None, keys=KEYS) == by_id
    assert person_key(None, "+86 138 1234 5678", "张三", keys=KEYS) == by_phone
    assert person_key("110105194912310021", "13812345678", None, keys=KEYS) == by_phone
    assert person_key("not an id", "not a phone", "张三", keys=KEYS) is None
    assert person_key(None, None, "张三", keys=KEYS) is None
    assert person_key("", "", "", keys=KEYS) is None


def test_person_key_ignores_the_name_and_never_contains_the_number() -> None:
    key = person_key(None, "13812345678", "张三", keys=KEYS)
    assert key == person_key(None, "138 1234 5678", "Zhang San", keys=KEYS)
    assert key is not None and "13812345678" not in key and len(key) == 64


def test_person_key_is_keyed_not_a_plain_hash() -> None:
    """Issue 16 #4: an 11-digit phone or an 18-character ID is cheap to enumerate, so a plain
    SHA-256 gave the numbers back; the key is an HMAC under the pepper, another pepper another
    key."""
    key = person_key(PUBLISHED_SAMPLE, None, keys=KEYS)
    assert key not in (sha256(PUBLISHED_SAMPLE), None)
    other = DataKeys.of(DEVELOPMENT_DATA_KEY, pepper="another-pepper")
    assert person_key(PUBLISHED_SAMPLE, None, keys=other) != key


def test_search_indexes_match_what_a_person_would_call_the_same_value() -> None:
    assert phone_index("+86 138-1234-5678", keys=KEYS) == keyed("mobile", "13812345678")
    assert id_index("11010519491231002x", keys=KEYS) == keyed("resident_id", PUBLISHED_SAMPLE)
    assert name_index(" 张 三 ", keys=KEYS) == name_index("张三", keys=KEYS)
    assert name_index("John  SMITH", keys=KEYS) == name_index("john smith", keys=KEYS)
    assert name_index("张三", keys=KEYS) != name_index("张四", keys=KEYS)
    assert name_index("  ", keys=KEYS) is None
    assert phone_index("12345", keys=KEYS) is None
    assert id_index("110105194912310021", keys=KEYS) is None  # wrong check digit
