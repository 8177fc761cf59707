"""Personal data: checking and masking ID numbers, mobile numbers, card numbers and names.

Shared by complaints and the paperless counter. Pure functions, no I/O.

Checks return the normalised value or raise `ValueError` with an English reason
that an entry point can show. Input is first NFKC-normalised, so full-width
digits and letters typed with a Chinese input method ("１３８…", "Ｘ") count
as their ASCII forms.

Masking follows the common Chinese banking convention for screens, logs and
exports when a role does not need the full value:

* resident ID: first 6 (the region code) and last 4 characters kept, so the
  birth date is hidden: ``110105********002X``;
* mobile: first 3 (the carrier prefix) and last 4 digits kept: ``138****5678``;
* bank card: first 6 (the issuer BIN) and last 4 digits kept, the most that
  PCI DSS allows to be shown: ``411111******1111``;
* name: the first character of each word of two or more characters kept:
  ``张**``, ``J*** S****``; a one-character word or name is starred whole.

Each hidden character becomes one ``*``, so the masked value has the shape of
the original. Masking never raises: odd input (empty, too short, not yet
normalised) is masked as well as it can be, and a value too short to keep
both ends shows at most its last few characters.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Protocol

__all__ = [
    "BlindIndex",
    "check_card_number",
    "check_mobile",
    "check_resident_id",
    "id_check_char",
    "id_index",
    "luhn_ok",
    "mask_card",
    "mask_id",
    "mask_name",
    "mask_phone",
    "name_index",
    "person_key",
    "phone_index",
    "resident_id_ok",
]

# GB 11643-1999 / ISO 7064 MOD 11-2: weight of position i (0-based, left to right)
# is 2^(17 - i) mod 11; the weighted sum mod 11 indexes this string.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s\-]+")
_NAME_WORD_BREAKS = re.compile(r"(\s+|[·•・.])")  # spaces and the middle dot of 买买提·艾力
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_MASK = "*"


def _compact(text: str) -> str:
    """NFKC-normalise and drop whitespace and hyphens ("138-1234 5678" → "13812345678")."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


# --- resident ID (居民身份证号码) ---------------------------------------------


def id_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of a resident ID."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def check_resident_id(text: str, today: dt.date | None = None) -> str:
    """Check a mainland resident ID number (GB 11643-1999) and return it normalised.

    The number is 18 characters: a 6-digit region code (never starting with 0),
    the birth date YYYYMMDD, a 3-digit sequence and a check character (0-9 or
    X; a lowercase x is accepted and returned uppercase). The birth date must
    be a real date from 1900 on and not after `today` (default: today's date).
    Spaces and hyphens are ignored. 15-digit first-generation numbers stopped
    being valid in 2013 and are refused.
    """
    value = _compact(text).upper()
    if len(value) != 18:
        raise ValueError(f"resident ID must be 18 characters, got {len(value)}")
    if not _ID_SHAPE.fullmatch(value):
        raise ValueError("resident ID must be 17 digits followed by a digit or X")
    if value[0] == "0":
        raise ValueError(f"region code {value[:6]} cannot start with 0")
    _check_birth_date(value[6:14], today or dt.date.today())
    expected = id_check_char(value[:17])
    if value[17] != expected:
        raise ValueError(f"check digit should be {expected}")
    return value


def _check_birth_date(text: str, today: dt.date) -> None:
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"birth date {text} is not a date") from None
    if born.year < 1900:
        raise ValueError(f"birth date {text} is before 1900")
    if born > today:
        raise ValueError(f"birth date {text} is in the future")


def resident_id_ok(text: str, today: dt.date | None = None) -> bool:
    """Whether `check_resident_id` accepts `text`."""
    try:
        check_resident_id(text, today)
    except ValueError:
        return False
    return True


# --- mobile number ------------------------------------------------------------


def check_mobile(text: str) -> str:
    """Check a mainland mobile number and return its 11 digits.

    Spaces and hyphens are dropped and a country prefix +86, 0086 or 86 is
    removed; what remains must be 11 digits starting 13 to 19.
    """
    value = _compact(text)
    if value.startswith("+") and not value.startswith("+86"):
        raise ValueError("only mainland mobile numbers (+86) are accepted")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    else:
        if len(value) == 13 and value.startswith("86"):
            value = value[2:]
    if value and not _DIGITS.fullmatch(value):
        raise ValueError("mobile number may only contain digits, spaces and hyphens")
    if len(value) != 11:
        raise ValueError(f"mobile number must have 11 digits, got {len(value)}")
    if not _MOBILE.fullmatch(value):
        raise ValueError(f"mobile number cannot start with {value[:2]} (13 to 19 expected)")
    return value


# --- bank card number ---------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check; False for anything else."""
    if not _DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:  # every second digit from the right is doubled
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def check_card_number(text: str) -> str:
    """Check a bank card number (13 to 19 digits, spaces or hyphens allowed, Luhn) and return
    its digits."""
    value = _compact(text)
    if value and not _DIGITS.fullmatch(value):
        raise ValueError("card number may only contain digits, spaces and hyphens")
    if not 13 <= len(value) <= 19:
        raise ValueError(f"card number must have 13 to 19 digits, got {len(value)}")
    if not luhn_ok(value):
        raise ValueError("card number fails the Luhn check (mistyped?)")
    return value


# --- masking --------------------------------------------------------------------


def _mask_middle(value: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters and star the rest.

    A value too short for that keeps only its last characters, never more
    than a third of it, so short fragments are not shown whole.
    """
    if len(value) > head + tail:
        return value[:head] + _MASK * (len(value) - head - tail) + value[len(value) - tail :]
    shown = min(tail, len(value) // 3)
    return _MASK * (len(value) - shown) + value[len(value) - shown :]


def mask_id(text: str | None) -> str:
    """Mask a resident ID keeping the region code and the last 4: ``110105********002X``."""
    return _mask_middle(_compact(text or "").upper(), 6, 4)


def mask_phone(text: str | None) -> str:
    """Mask a phone number keeping the first 3 and last 4 digits: ``138****5678``.

    A valid mainland mobile is normalised first (so "+86 138 1234 5678" masks
    the same way); anything else is masked as written, without separators.
    """
    raw = text or ""
    try:
        value = check_mobile(raw)
    except ValueError:
        value = _compact(raw)
    return _mask_middle(value, 3, 4)


def mask_card(text: str | None) -> str:
    """Mask a card number keeping the first 6 (BIN) and last 4 digits: ``622848*********0123``."""
    return _mask_middle(_compact(text or ""), 6, 4)


def mask_name(text: str | None) -> str:
    """Mask a name keeping the first character of each word of two or more characters.

    A Chinese name is one word (spaces inside it are padding and dropped):
    ``张三丰`` → ``张**``, ``张 三`` → ``张*``; a compound surname keeps only its
    first character (``欧阳娜娜`` → ``欧***``). Words are separated by spaces,
    dots or a middle dot: ``John Smith`` → ``J*** S****``, ``买买提·艾力`` →
    ``买**·艾*``. A word of a single character, an initial or a one-character
    name, is starred entirely, since keeping it would show it whole.
    """
    name = unicodedata.normalize("NFKC", text or "").strip()
    if _CJK.search(name):
        name = "".join(name.split())
    parts = _NAME_WORD_BREAKS.split(name)
    # split() with a capturing group alternates words (even indices) and breaks (odd).
    return "".join(part if index % 2 else _mask_word(part) for index, part in enumerate(parts))


def _mask_word(word: str) -> str:
    if len(word) < 2:
        return _MASK * len(word)
    return word[0] + _MASK * (len(word) - 1)


# --- blind indexes: the same person, found without storing the number ----------------


class BlindIndex(Protocol):
    """What computes a keyed blind index (`manyi.sealed.DataKeys`)."""

    def blind_index(self, purpose: str, value: str) -> str: ...


def person_key(
    id_number: str | None,
    phone: str | None,
    name: str | None = None,
    *,
    keys: BlindIndex,
) -> str | None:
    """A stable key for "the same complainant", used to spot repeat complaints.

    The key is the blind index of the normalised resident ID when that is valid
    (`id_index`), else of the normalised mobile number when that is valid
    (`phone_index`), else None (the person cannot be recognised). A blind index
    is an HMAC-SHA-256 under a secret pepper kept outside the database: both
    number spaces are small enough to enumerate, so a plain hash would give the
    numbers back to anyone holding the table.

    `name` is accepted so callers can pass the whole complainant, but it never
    enters the key: names are not unique and are written inconsistently
    (张三 / 张 三 / Zhang San), so it would split one person into several keys.
    """
    del name
    return id_index(id_number, keys=keys) or phone_index(phone, keys=keys)


def id_index(id_number: str | None, *, keys: BlindIndex) -> str | None:
    """The blind index of a valid resident ID number (None for anything else)."""
    value = _valid_or_none(check_resident_id, id_number)
    return None if value is None else keys.blind_index("resident_id", value)


def phone_index(phone: str | None, *, keys: BlindIndex) -> str | None:
    """The blind index of a valid mainland mobile number (None for anything else)."""
    value = _valid_or_none(check_mobile, phone)
    return None if value is None else keys.blind_index("mobile", value)


def name_index(name: str | None, *, keys: BlindIndex) -> str | None:
    """The blind index of a name, for an exact search by name (None when empty).

    The name is NFKC-normalised and case-folded, a Chinese name loses its inner
    spaces (张 三 is 张三) and other runs of spaces become one, so the search
    finds what a person would call the same name typed again.
    """
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        return None
    text = "".join(text.split()) if _CJK.search(text) else " ".join(text.split())
    return keys.blind_index("name", text.casefold())


def _valid_or_none(check: Callable[[str], str], text: str | None) -> str | None:
    if not text:
        return None
    try:
        return check(text)
    except ValueError:
        return None
