"""One item's values against its transaction type: each field, the type's schema, then the
rules across fields; and the authorisation level the item needs.

`validate_item` lists every problem (at most one per field, in form order); `clean_item`
returns the normalised values or raises `ItemInvalid`. The type itself, its document checks
and versions are catalogue.py's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from manyi import personal
from manyi.counter.domain.authorisation_rules import Level, level_for_item
from manyi.counter.domain.catalogue import TransactionType
from manyi.counter.domain.field_checks import amount_of, compact
from manyi.counter.domain.field_problems import (
    MESSAGES,
    FieldError,
    FieldProblem,
    describe_error,
    from_personal,
    invalid,
    money_text,
)
from manyi.counter.domain.fields import check_value, field_dictionary
from manyi.errors import InvalidInput

__all__ = [
    "ItemInvalid",
    "check_id_number",
    "check_together",
    "clean_item",
    "required_level",
    "validate_item",
]


class ItemInvalid(InvalidInput):
    def __init__(self, code: str, problems: Sequence[FieldProblem]) -> None:
        super().__init__("the {code} form has {count} problems", code=code, count=len(problems))
        self.problems = tuple(problems)


# --- validating one item ---------------------------------------------------------


@lru_cache(maxsize=512)
def _validator(tx: TransactionType) -> Any:
    return field_dictionary().validator(tx.schema)


def validate_item(
    tx: TransactionType, values: Mapping[str, Any], *, today: dt.date
) -> list[FieldProblem]:
    """Every problem of one item's values, at most one per field, in form order. None and ""
    are not filled. Checks each field (dictionary and Python checks), then the item against
    its schema (tightenings, `required`), then the rules across fields (`check_together`)."""
    return _check_item(tx, values, today)[1]


def clean_item(tx: TransactionType, values: Mapping[str, Any], *, today: dt.date) -> dict[str, Any]:
    """The item's values normalised; raises `ItemInvalid` listing the problems."""
    clean, problems = _check_item(tx, values, today)
    if problems:
        raise ItemInvalid(tx.code, problems)
    return clean


def _check_item(
    tx: TransactionType, values: Mapping[str, Any], today: dt.date
) -> tuple[dict[str, Any], list[FieldProblem]]:
    problems: dict[str, FieldProblem] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        if name not in tx.fields:
            problems[name] = invalid("unknown_field", name, name=name).problem
            continue
        try:
            clean[name] = check_value(name, value, today=today)
        except FieldError as exc:
            problems[name] = _own_bound(tx, exc.problem)
    for name in tx.required - clean.keys() - problems.keys():
        problems[name] = invalid("required", name).problem
    for error in _validator(tx).iter_errors(clean):
        where = error.path[0] if error.path else None  # `required` errors have no path
        if isinstance(where, str) and where not in problems:
            example = field_dictionary()[where].example
            problems[where] = FieldProblem(where, *describe_error(error, example))
    for problem in check_together(clean, today=today):
        problems.setdefault(problem.field, problem)
    order = {name: index for index, name in enumerate(tx.fields)}
    return clean, sorted(problems.values(), key=lambda p: order.get(p.field, len(order)))


def _own_bound(tx: TransactionType, problem: FieldProblem) -> FieldProblem:
    """A value over the dictionary's money bound is over the type's own, tighter one too:
    the problem names the type's limit (a withdrawal's, not every amount's)."""
    own = tx.schema.get("properties", {}).get(problem.field, {})
    for keyword, key in (
        ("x-manyi-maximum", "amount_at_most"),
        ("x-manyi-minimum", "amount_at_least"),
    ):
        if keyword in own and problem.message_id == MESSAGES[key]:
            return FieldProblem(problem.field, MESSAGES[key], {"limit": money_text(own[keyword])})
    return problem


def required_level(
    tx: TransactionType, values: Mapping[str, Any], customer_flags: Collection[str] = ()
) -> Level:
    """The authorisation level one item needs; an item without a currency is in CNY."""
    try:
        # An amount's check does not depend on the day; any date serves.
        amount = amount_of(check_value("amount", values.get("amount"), today=dt.date.min))
    except FieldError:
        amount = None
    currency = str(values.get("currency") or "CNY")
    return level_for_item(tx.rules, amount, currency, customer_flags, tx.code)


# --- rules across fields --------------------------------------------------------


def check_id_number(id_type: str, number: str, *, today: dt.date) -> str:
    """Check an ID number for its ID type and return it normalised; raises `FieldError`.
    Resident ID cards follow GB 11643; the other types' shapes are the dictionary's
    `number_formats` (on the id_type field), with a check character on 18-character ones."""
    clean = compact(number)
    formats = field_dictionary()["id_type"].schema["x-manyi"]["number_formats"]
    try:
        if id_type == "resident_id":
            return personal.check_resident_id(clean, today)
    except ValueError as exc:
        raise from_personal(exc, "id_number") from None
    if id_type not in formats or id_type.startswith("$"):
        raise invalid("choice", "id_type")
    if not re.fullmatch(formats[id_type]["pattern"], clean):
        raise invalid(formats[id_type]["message"], "id_number")
    if len(clean) == 18 and clean[17] != (expected := personal.id_check_char(clean[:17])):
        raise invalid("check_digit", "id_number", c=expected)
    return clean


def check_together(values: Mapping[str, Any], *, today: dt.date) -> list[FieldProblem]:
    """Rules across fields, on values that each passed `check_value`: the ID number fits
    the ID type; an amount has no more decimals than its currency (yen have none); a new
    mobile number differs from the current one."""
    problems: list[FieldProblem] = []
    if "id_type" in values and "id_number" in values:
        try:
            check_id_number(str(values["id_type"]), str(values["id_number"]), today=today)
        except FieldError as exc:
            problems.append(exc.problem)
    amount, currency = amount_of(values.get("amount")), values.get("currency")
    minor_units = field_dictionary()["currency"].schema["x-manyi"].get("minor_units", {})
    if amount is not None and isinstance(currency, str):
        places = int(minor_units.get(currency, 2))
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            problems.append(invalid("amount_whole", "amount", currency=currency).problem)
    if values.get("new_mobile") is not None and values.get("new_mobile") == values.get("mobile"):
        problems.append(invalid("same_mobile", "new_mobile").problem)
    return problems
