"""What the inspection-plan pages share: reading numbers, days and per-item answers from a
form (a bad value is a named InvalidInput, never a server error), and the unit tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from manyi.errors import InvalidInput
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.supervision.domain.standards import Item

MAX_NUMBER = 10**9


def number(text: str, field: str, message: str) -> int:
    value = ascii_int(text, 0, MAX_NUMBER)
    if value is None:
        raise InvalidInput(message, field)
    return value


def day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Give the day as YYYY-MM-DD.", field) from None


def item_answers(form: Mapping[str, Any], items: Sequence[Item]) -> dict[str, tuple[str, str]]:
    """{code: (verdict, note)} from the fields `item-<code>` and `note-<code>`."""
    return {
        i.code: (str(form.get(f"item-{i.code}", "")), str(form.get(f"note-{i.code}", "")))
        for i in items
    }


def unit_options(units: Sequence[Unit], lang: str) -> list[tuple[int, str, str]]:
    """(id, label indented by depth, level) for a select of units."""
    if not units:
        return []
    top = min(u.path.count("/") for u in units)
    return [
        (
            u.id,
            "\u3000" * (u.path.count("/") - top)
            + (u.name_en if lang == "en" and u.name_en else u.name_zh),
            u.level,
        )
        for u in units
    ]
