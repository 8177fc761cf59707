"""The catalogue: transaction types (forms) as data, versioned.

A type is a JSON Schema 2020-12 object schema (`catalogue_data/transactions.json`) whose
properties `$ref` the field dictionary under the field's own name, maybe tightened (lower
`maxLength`, an `enum` subset, `const`, a higher `x-manyi-minimum`). Under `x-manyi`:
`code`, `version`, `names`, `needs_pin`, `identity_check`, `identity_rules`, `authorisation`
(rules, read by authorisation.py), `posting` (a `core.PostingKind`) and, for merge.py,
`per_item` (customer
fields it asks per item, such as the account it closes) and `provides` (fields its posting
outputs for later items: open_account gives account_number); `away_from_counter` says the
type may be done on a home or hospital visit (`check_away`); `channels` where else a customer
can do it (self-service machines by kind, the mobile and online banking function: lobby
guidance's diversion, issue 23); see transaction.schema.json.

Version identity: (code, version) names one type for ever; its `$id` is
`.../transactions/<code>/v<version>`. An edit never changes a version: `new_version` makes
version + 1, storage keeps them all, and a bundle keeps each item's (code, version) so it
is validated and run with the version it was made with. `digest` (SHA-256 of canonical
JSON) lets storage show that a stored version was never rewritten.

Checking one item's values against a type (and the level of authorisation it needs) is
item_checks.py's.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Final

import jsonschema

from manyi.counter.adapters.core import PostingKind
from manyi.counter.domain.authorisation_rules import Condition, Rule, parse_rules
from manyi.counter.domain.field_problems import read_data
from manyi.counter.domain.fields import DEF_PREFIX, Names, field_dictionary
from manyi.counter.domain.identity_rules import parse_identity_rules
from manyi.errors import InvalidInput, NotFound

__all__ = [
    "DEFAULT_WEIGHT",
    "MACHINE_KINDS",
    "MAX_WEIGHT",
    "Catalogue",
    "CatalogueError",
    "Channels",
    "IdentityCheck",
    "TransactionType",
    "changes_authorisation",
    "check_away",
    "new_version",
]

# A type's complexity weight (x-manyi.weight): 1.0 when absent, refused at or below 0 or above
# MAX_WEIGHT (a wealth product is a few times a deposit, not a hundred).
DEFAULT_WEIGHT: Final = 1.0
MAX_WEIGHT: Final = 10.0
TRANSACTIONS_URI: Final = "https://manyi.example/schemas/transactions/{code}/v{version}"


class IdentityCheck(StrEnum):
    """The identity check a type always needs. A type with "none" may still need the card
    read when one of its `identity_rules` matches the item (`identity_rules.reasons`)."""

    ID_CARD_READER = "id_card_reader"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Channels:
    """Where else than at a counter a customer can do a transaction: the kinds of self-service
    machine (`MACHINE_KINDS`) and the function in mobile and online banking, if any."""

    machines: tuple[str, ...] = ()
    mobile: Names | None = None
    online: Names | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Channels:
        data = data or {}
        return cls(
            tuple(data.get("self_service", ())),
            Names.of(data["mobile"]) if "mobile" in data else None,
            Names.of(data["online"]) if "online" in data else None,
        )

    @property
    def any(self) -> bool:
        return bool(self.machines) or self.mobile is not None or self.online is not None


# Self-service machines by kind (x-manyi.channels.self_service).
MACHINE_KINDS: Final = ("smart_teller", "cash", "passbook", "terminal")


class CatalogueError(InvalidInput):
    """A transaction type document the catalogue refuses; says where and why."""


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
    # May be done on a home or hospital visit (特事特办), away from the counter.
    away_from_counter: bool = False
    # Complexity in a teller's weighted served count (manyi.workload), and whether the type
    # is a dispute or other contentious transaction (a teller's share of difficult cases).
    weight: float = DEFAULT_WEIGHT
    difficult: bool = False
    channels: Channels = Channels()

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
            away_from_counter=bool(meta.get("away_from_counter", False)),
            weight=float(meta.get("weight", DEFAULT_WEIGHT)),
            difficult=bool(meta.get("difficult", False)),
            channels=Channels.of(meta.get("channels")),
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
    weight = meta.get("weight", DEFAULT_WEIGHT)
    wrong = isinstance(weight, bool) or not 0 < weight <= MAX_WEIGHT
    _refuse(
        wrong,
        "{code}: the weight must be above 0 and at most {most}",
        "x-manyi.weight",
        code=meta["code"],
        most=MAX_WEIGHT,
    )
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


def check_away(types: Iterable[TransactionType]) -> None:
    """Refuse, naming the type, a transaction the catalogue does not allow away from the
    counter (on a home or hospital visit): the catalogue decides, not the staff on site."""
    for tx in types:
        if not tx.away_from_counter:
            raise InvalidInput(
                "{name} ({code}) cannot be done away from the counter",
                "codes",
                error_code="not_away",
                name=tx.names.zh,
                code=tx.code,
            )
