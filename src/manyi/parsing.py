"""Whole numbers typed by people and machines, read strictly.

`str.isdigit()` says yes to "²" and "٣", which `int()` then refuses or reads as another number;
ids past the database's integer range overflow in the driver. Read a number as ASCII digits
within bounds, or not at all.
"""

from __future__ import annotations

import re

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
