"""The per-kind value checks a dictionary field names in its `check` (`CHECKS`).

What JSON Schema cannot say: check digits, Luhn, full-width digits, "1,000.50", dates written
the Chinese way. Each check takes the value and today and returns the value normalised, or
raises `FieldError` (without the field, which `fields.check_value` adds). `compact` and
`amount_of` are how codes and amounts are compared elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final

from manyi import personal
from manyi.counter.domain.field_problems import from_personal, invalid

__all__ = ["CHECKS", "LONG_TERM", "Check", "amount_of", "compact"]

_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_SEPARATORS = re.compile(r"[\s\-]+")
_NAME_MARKS = frozenset(" ·.'-")
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "是": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False, "否": False}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")

Check = Callable[[object, dt.date], object]


def amount_of(value: object) -> Decimal | None:
    """The Decimal of a normalised amount ("1000.50"), None for anything else."""
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
        return None
    return Decimal(value)


def _strings(check: Callable[[str, dt.date], object]) -> Check:
    """Apply `check` to strings only (other types go on to JSON Schema's `type`), turning
    the ValueError of a `manyi.personal` check into a message."""

    def run(value: object, today: dt.date) -> object:
        try:
            return check(value, today) if isinstance(value, str) else value
        except ValueError as exc:
            raise from_personal(exc) from None

    return run


def compact(text: str) -> str:
    """NFKC, no spaces or hyphens, upper case: how codes and numbers are compared."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def _text(value: str, today: dt.date) -> str:
    clean = " ".join(unicodedata.normalize("NFKC", value).split())
    if any(unicodedata.category(char) == "Cc" for char in clean):
        raise invalid("control")
    return clean


def _name(value: str, today: dt.date) -> str:
    clean = _text(value, today).replace("•", "·").replace("・", "·")
    if any(c not in _NAME_MARKS and unicodedata.category(c)[0] not in "LM" for c in clean):
        raise invalid("name_chars")
    return clean


def _digits(value: str, today: dt.date) -> str:
    clean = compact(value)
    if not clean.isdigit():
        raise invalid("digits")
    return clean


def _amount(value: str, today: dt.date) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if _GROUPED.fullmatch(text):  # thousands separators: "1,000.50"
        text = text.replace(",", "")
    if text.startswith("-") and _PLAIN_DECIMAL.fullmatch(text[1:]):
        raise invalid("amount_positive")
    if not _PLAIN_DECIMAL.fullmatch(text):  # "1e5", "¥100", "1.2.3", "+5"
        raise invalid("amount_plain")
    amount = Decimal(text)
    if amount <= 0:
        raise invalid("amount_positive")
    if "." in text and len(text.split(".")[1].rstrip("0")) > 2:
        raise invalid("amount_decimals")
    return format(amount.quantize(Decimal("0.01")) if "." in text else amount, "f")


def _integer(value: object, today: dt.date) -> object:
    text = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else None
    if text is not None and text.isdigit():
        return int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("integer")
    return value


def _boolean(value: object, today: dt.date) -> object:
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    if not isinstance(value, bool):
        raise invalid("boolean")
    return value


def _date(value: str, today: dt.date) -> str:
    """ISO date from "2025-3-1", "2025/03/01", "2025.3.1" or "2025年3月1日"."""
    found = _DATE.fullmatch(unicodedata.normalize("NFKC", value).strip())
    try:
        if found:
            return dt.date(*(int(part) for part in found.groups())).isoformat()
    except ValueError:
        pass
    raise invalid("date", example=today.isoformat())


def _dated(later: bool) -> Check:
    """A date not before today (`later`: when an ID expires) or not after it."""

    def check(value: str, today: dt.date) -> str:
        clean = _date(value, today)
        if (clean < today.isoformat()) if later else (clean > today.isoformat()):
            raise invalid("date_past" if later else "date_future")
        return clean

    return _strings(check)


LONG_TERM: Final = "long_term"  # an ID card valid for life (长期)
_LONG_TERM_WORDS: Final = frozenset({LONG_TERM, "long-term", "长期", "长期有效"})
_not_past = _dated(later=True)


def _id_expiry(value: object, today: dt.date) -> object:
    """When an ID card expires: a date not past, or "long_term" for a lifetime card."""
    if isinstance(value, str) and value.strip().lower() in _LONG_TERM_WORDS:
        return LONG_TERM
    return _not_past(value, today)


CHECKS: Final[Mapping[str, Check]] = {
    "text": _strings(_text),
    "name": _strings(_name),
    "id_number": _strings(lambda value, today: compact(value)),
    "code": _strings(lambda value, today: compact(value)),
    "digits": _strings(_digits),
    "mobile": _strings(lambda value, today: personal.check_mobile(value)),
    "card": _strings(lambda value, today: personal.check_card_number(value)),
    "amount": _strings(_amount),
    "integer": _integer,
    "boolean": _boolean,
    "date": _strings(_date),
    "date_not_past": _not_past,
    "id_expiry": _id_expiry,
    "date_not_future": _dated(later=False),
}
