"""The catalogue: transaction types (forms) as data, versioned.

A type is a JSON Schema 2020-12 object schema (`catalogue_data/transactions.json`) whose
properties `$ref` the field dictionary under the field's own name, maybe tightened (lower
`maxLength`, an `enum` subset, `const`, a higher `x-manyi-minimum`). Under `x-manyi`:
`code`, `version`, `names`, `needs_pin`, `identity_check`, `identity_rules`, `authorisation`
(rules, read by authorisation.py), `posting` (a `core.PostingKind`) and, for merge.py,
`per_item` (customer
fields it asks per item, such as the account it closes) and `provides` (fields its posting
outputs for later items: open_account gives account_number); see transaction.schema.json.

Version identity: (code, version) names one type for ever; its `$id` is
`.../transactions/<code>/v<version>`. An edit never changes a version: `new_version` makes
version + 1, storage keeps them all, and a bundle keeps each item's (code, version) so it
is validated and run with the version it was made with. `digest` (SHA-256 of canonical
JSON) lets storage show that a stored version was never rewritten.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any, Final

import jsonschema

from manyi import personal
from manyi.counter.adapters.core import PostingKind
from manyi.counter.domain.authorisation_rules import (
    Condition,
    Level,
    Rule,
    level_for_item,
    parse_rules,
)
from manyi.counter.domain.field_checks import amount_of, compact
from manyi.counter.domain.field_problems import (
    MESSAGES,
    FieldError,
    FieldProblem,
    describe_error,
    from_personal,
    invalid,
    money_text,
    read_data,
)
from manyi.counter.domain.fields import DEF_PREFIX, Names, check_value, field_dictionary
from manyi.counter.domain.identity_rules import parse_identity_rules
from manyi.errors import InvalidInput, NotFound

__all__ = [
    "Catalogue",
    "CatalogueError",
    "IdentityCheck",
    "ItemInvalid",
    "TransactionType",
    "changes_authorisation",
    "check_id_number",
    "check_together",
    "clean_item",
    "new_version",
    "required_level",
    "validate_item",
]

TRANSACTIONS_URI: Final = "https://manyi.example/schemas/transactions/{code}/v{version}"


class IdentityCheck(StrEnum):
    """The identity check a type always needs. A type with "none" may still need the card
    read when one of its `identity_rules` matches the item (`identity_rules.reasons`)."""

    ID_CARD_READER = "id_card_reader"
    NONE = "none"


class CatalogueError(InvalidInput):
    """A transaction type document the catalogue refuses; says where and why."""


class ItemInvalid(InvalidInput):
    def __init__(self, code: str, problems: Sequence[FieldProblem]) -> None:
        super().__init__("the {code} form has {count} problems", code=code, count=len(problems))
        self.problems = tuple(problems)


@cache
def _meta_validator() -> Any:
    meta, draft = read_data("transaction.schema.json"), jsonschema.Draft202012Validator
    return draft(meta, format_checker=draft.FORMAT_CHECKER)


@dataclass(frozen=True)
class TransactionType:
    code: str
    version: int
    names: Names
    schema: Mapping[str, Any] = dataclasses.field(repr=False, hash=False)
    needs_pin: bool
    identity_check: IdentityCheck
    rules: tuple[Rule, ...]
    posting: PostingKind
    identity_rules: tuple[Condition, ...] = ()
    per_item: frozenset[str] = frozenset()
    provides: tuple[str, ...] = ()

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> TransactionType:
        """Check a transaction type document and build the type; raises `CatalogueError`
        (or, for a bad authorisation rule, the `InvalidInput` of `parse_rules`)."""
        document = copy.deepcopy(dict(schema))
        _check_document(document)
        meta = document["x-manyi"]
        document.setdefault("$id", TRANSACTIONS_URI.format(**meta))
        return cls(
            code=meta["code"],
            version=meta["version"],
            names=Names.of(meta["names"]),
            schema=document,
            needs_pin=meta["needs_pin"],
            identity_check=IdentityCheck(meta["identity_check"]),
            rules=parse_rules(meta["authorisation"], where="x-manyi.authorisation"),
            posting=PostingKind(meta["posting"]),
            identity_rules=parse_identity_rules(meta.get("identity_rules", ())),
            per_item=frozenset(meta.get("per_item", ())),
            provides=tuple(meta.get("provides", ())),
        )

    @property
    def key(self) -> tuple[str, int]:
        return self.code, self.version

    @property
    def uri(self) -> str:
        return TRANSACTIONS_URI.format(code=self.code, version=self.version)

    @property
    def fields(self) -> tuple[str, ...]:
        """The dictionary fields this form asks, in its own order."""
        return tuple(self.schema["properties"])

    @property
    def required(self) -> frozenset[str]:
        return frozenset(self.schema.get("required", ()))

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.schema, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def label(self, name: str) -> Names:
        """The form's own label for a field (`x-manyi-label`), else the dictionary's."""
        own = self.schema["properties"][name].get("x-manyi-label")
        return Names.of(own) if own else field_dictionary()[name].label


def _refuse(wrong: bool, message: str, field: str = "", **params: Any) -> None:
    if wrong:
        raise CatalogueError(message, field, **params)


def _check_document(document: Mapping[str, Any]) -> None:
    try:
        jsonschema.Draft202012Validator.check_schema(document)
    except jsonschema.SchemaError as exc:
        raise CatalogueError(
            "not valid JSON Schema 2020-12: {reason}", reason=exc.message
        ) from None
    errors = _meta_validator().iter_errors(document)
    for error in sorted(errors, key=jsonschema.exceptions.relevance):
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        raise CatalogueError("{where}: {reason}", where, where=where, reason=error.message)
    fields = field_dictionary()
    for ref in _refs(document):
        name = ref.removeprefix(DEF_PREFIX)
        _refuse(ref == name or name not in fields, "{ref} is not in the dictionary", ref=ref)
    meta, properties = document["x-manyi"], document["properties"]
    for name, prop in properties.items():
        _refuse(prop["$ref"] != DEF_PREFIX + name, "{name} must $ref field {name}", name, name=name)
        allowed = fields[name].schema.get("enum", prop.get("enum", ()))
        wrong = any(value not in allowed for value in prop.get("enum", ()))
        _refuse(wrong, "{name}: enum values must be the dictionary's", name, name=name)
    for name in document["required"]:
        _refuse(name not in properties, "required {name} is not a property", name, name=name)
    for name in meta.get("per_item", ()):
        wrong = name not in properties or fields[name].scope != "customer"
        _refuse(wrong, "per_item: {name} is not a customer field of the form", name=name)
    for name in meta.get("provides", ()):
        wrong = name not in fields or name in properties
        _refuse(wrong, "provides: {name} is not a field the form leaves out", name=name)
    rules = parse_rules(meta["authorisation"], where="x-manyi.authorisation")
    wrong = "amount" not in properties and any(r.when.amount_at_least for r in rules)
    _refuse(wrong, "an authorisation rule reads an amount the form does not ask")
    identity = parse_identity_rules(meta.get("identity_rules", ()))
    wrong = "amount" not in properties and any(c.amount_at_least for c in identity)
    _refuse(wrong, "an identity rule reads an amount the form does not ask")
    kinds = {kind.value for kind in PostingKind}
    _refuse(meta["posting"] not in kinds, "unknown posting kind {kind}", kind=meta["posting"])
    expected = TRANSACTIONS_URI.format(**meta)
    _refuse(document.get("$id", expected) != expected, "$id must be {uri}", "$id", uri=expected)


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from [value] if key == "$ref" and isinstance(value, str) else _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


class Catalogue:
    """Every version of every transaction type the counter offers."""

    def __init__(self, types: Iterable[TransactionType] = ()) -> None:
        self._types: dict[tuple[str, int], TransactionType] = {}
        for tx in types:
            _refuse(tx.key in self._types, "{uri} appears twice", uri=tx.uri)
            self._types[tx.key] = tx

    @classmethod
    def load(cls) -> Catalogue:
        """The packaged demo catalogue."""
        return cls.from_dict(read_data("transactions.json"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        """From ``{"transactions": [transaction type document, ...]}``."""
        return cls(TransactionType.from_schema(schema) for schema in data["transactions"])

    def get(self, code: str, version: int | None = None) -> TransactionType:
        """One version of a type; the latest when `version` is None."""
        versions = self.versions(code)
        found = versions[-1:] if version is None else [t for t in versions if t.version == version]
        if not found:
            raise NotFound("no transaction type {code} v{version}", code=code, version=version)
        return found[0]

    def versions(self, code: str) -> tuple[TransactionType, ...]:
        """The versions of a type, oldest first."""
        return tuple(sorted((t for t in self if t.code == code), key=lambda t: t.version))

    def latest(self) -> tuple[TransactionType, ...]:
        """The current version of each type, in catalogue order."""
        codes = dict.fromkeys(tx.code for tx in self._types.values())
        return tuple(self.get(code) for code in codes)

    def with_version(self, tx: TransactionType) -> Catalogue:
        """A catalogue that also holds `tx`, which must be the next version of its code."""
        current = self.versions(tx.code)
        expected = current[-1].version + 1 if current else 1
        _refuse(tx.version != expected, "the next version is {expected}", expected=expected)
        return Catalogue([*self, tx])

    def __iter__(self) -> Iterator[TransactionType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)


def new_version(entry: TransactionType, edited_schema: Mapping[str, Any]) -> TransactionType:
    """The next version of `entry` from an administrator's edit of its schema.

    The edit must be valid JSON Schema 2020-12, refer only to the field dictionary and keep
    every required x-manyi keyword; the code stays, and the version and `$id` (left as they
    were, or already the next ones) become version + 1. An edit that changes nothing is
    refused, so two versions always differ.
    """
    edited = copy.deepcopy(dict(edited_schema))
    meta = edited.get("x-manyi")
    if isinstance(meta, dict):
        code, version = meta.get("code", entry.code), meta.get("version", entry.version)
        _refuse(code != entry.code, "an edit cannot change the code {code}", code=entry.code)
        wrong = version not in (entry.version, entry.version + 1)
        _refuse(wrong, "an edit of version {version} cannot set that version", version=version)
        meta.update(code=entry.code, version=entry.version + 1)
    if edited.get("$id") == entry.uri:
        del edited["$id"]
    tx = TransactionType.from_schema(edited)
    same = _without_identity(tx.schema) == _without_identity(entry.schema)
    _refuse(same, "the edit changes nothing in {code}", code=entry.code)
    return tx


def changes_authorisation(before: TransactionType, after: TransactionType) -> bool:
    """Whether a new version changes who must authorise (the rules and their thresholds).

    Such an edit is a bank-wide control and needs a second head-office administrator's approval
    (maker-checker, `catalogue_store.edit`); an edit of labels, fields or limits does not. The
    order of rules is compared too: the first that matches decides the level.
    """
    return before.rules != after.rules


def _without_identity(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    rest = {k: v for k, v in schema.items() if k != "$id"}
    rest["x-manyi"] = {k: v for k, v in schema["x-manyi"].items() if k != "version"}
    return rest


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
