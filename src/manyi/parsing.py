"""Whole numbers and dates typed by people and machines, read strictly.

`str.isdigit()` says yes to "²" and "٣", which `int()` then refuses or reads as another number;
ids past the database's integer range overflow in the driver. Read a number as ASCII digits
within bounds, or not at all.
"""

from __future__ import annotations

import datetime as dt
import re

from manyi.errors import InvalidInput

DB_ID_MAX = 2**31 - 1  # the largest id an Integer column holds on both engines
_DIGITS = re.compile(r"[0-9]{1,18}")


def ascii_int(text: str | None, low: int = 0, high: int = DB_ID_MAX) -> int | None:
    """`text` (spaces around it allowed) as a whole number in [low, high], else None."""
    if text is None:
        return None
    clean = text.strip()
    if not _DIGITS.fullmatch(clean):
        return None
    value = int(clean)
    return value if low <= value <= high else None


def optional_date(text: str, field: str) -> dt.date | None:
    """A form's or query's ISO date (`2026-03-01`); blank is None; anything else is refused
    naming `field`."""
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("{name}: a date like 2026-03-01", field, name=field) from None
