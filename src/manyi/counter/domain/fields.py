"""The field dictionary: the shared fields every counter form is built from.

`catalogue_data/fields.json` is a JSON Schema 2020-12 document (`$id` = `FIELDS_URI`) with
one `$defs` entry per field, which transaction types `$ref`. Each entry's `x-manyi`
annotation gives `label` and `help` (zh + en), `scope`, `example`, `options` (enum labels)
and `check`: the Python check for what JSON Schema cannot say (check digits, Luhn,
full-width digits, "1,000.50"). `scope` is "customer" for the person's data, asked once
on a merged form (name, ID, mobile, address, their account or card), and "item" for
one transaction's data (amount, payee, term…); see merge.py. Two manyi keywords bound
decimal strings, which `minimum` cannot compare: `x-manyi-minimum`, `x-manyi-maximum`.

The value checks named by `check` are in `field_checks`; the messages a refusal carries are in
`field_problems`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Final

import jsonschema
from referencing import Registry, Resource

from manyi.counter.domain.field_checks import CHECKS, amount_of
from manyi.counter.domain.field_problems import MESSAGES, FieldError, describe_error, read_data

__all__ = [
    "DEF_PREFIX",
    "FIELDS_URI",
    "Field",
    "FieldDictionary",
    "Names",
    "Option",
    "check_value",
    "field_dictionary",
]

FIELDS_URI: Final = "https://manyi.example/schemas/fields/v1"
DEF_PREFIX: Final = FIELDS_URI + "#/$defs/"
SCOPES: Final = frozenset({"customer", "item"})


def _decimal_bound(lower: bool) -> Callable[[Any, str, object, object], Iterator[Any]]:
    def keyword(validator: Any, bound: str, instance: object, schema: object) -> Iterator[Any]:
        value = amount_of(instance)
        if value is not None and (value < Decimal(bound) if lower else value > Decimal(bound)):
            word = "at least" if lower else "at most"
            yield jsonschema.ValidationError(f"{instance!r} is not {word} {bound}")

    return keyword


# Draft 2020-12 plus the two decimal keywords, for the dictionary and every transaction.
Validator: Any = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {"x-manyi-minimum": _decimal_bound(True), "x-manyi-maximum": _decimal_bound(False)},
)


@dataclass(frozen=True, slots=True)
class Names:
    zh: str
    en: str

    @classmethod
    def of(cls, data: Mapping[str, object]) -> Names:
        return cls(str(data["zh"]), str(data["en"]))


@dataclass(frozen=True, slots=True)
class Option:
    value: str | int
    names: Names


@dataclass(frozen=True)
class Field:
    id: str
    schema: Mapping[str, Any] = dataclasses.field(
        repr=False, hash=False
    )  # the $def, x-manyi included
    label: Names
    scope: str
    help: Names | None = None
    check: str | None = None
    example: str | None = None
    options: tuple[Option, ...] = ()

    @property
    def ref(self) -> str:
        return DEF_PREFIX + self.id


class FieldDictionary:
    """The fields of one dictionary document, in display order, and a registry holding it."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        jsonschema.Draft202012Validator.check_schema(document)
        self.document = document
        self.uri = str(document["$id"])
        self.fields = {name: _read_field(name, data) for name, data in document["$defs"].items()}
        # No `retrieve` function: a reference outside this document fails instead of
        # being fetched, so validation never touches the network.
        self.registry: Registry[Any] = Registry().with_resource(
            self.uri, Resource.from_contents(dict(document))
        )
        self._validators: dict[str, Any] = {}

    def __getitem__(self, field_id: str) -> Field:
        try:
            return self.fields[field_id]
        except KeyError:
            raise FieldError(field_id, MESSAGES["unknown_field"], {"name": field_id}) from None

    def __contains__(self, field_id: object) -> bool:
        return field_id in self.fields

    def validator(self, schema: Mapping[str, Any]) -> Any:
        """A validator for `schema` with the decimal keywords and the date format."""
        return Validator(schema, registry=self.registry, format_checker=Validator.FORMAT_CHECKER)

    def field_validator(self, field_id: str) -> Any:
        if field_id not in self._validators:
            self._validators[field_id] = self.validator({"$ref": self[field_id].ref})
        return self._validators[field_id]


def _read_field(name: str, data: Mapping[str, Any]) -> Field:
    meta = data.get("x-manyi", {})
    if meta.get("scope") not in SCOPES:
        raise ValueError(f"field {name}: scope must be one of {sorted(SCOPES)}")
    check = meta.get("check")
    if check is not None and check not in CHECKS:
        raise ValueError(f"field {name}: unknown check {check!r}")
    options = tuple(Option(o["value"], Names.of(o)) for o in meta.get("options", ()))
    if options and [o.value for o in options] != list(data.get("enum", ())):
        raise ValueError(f"field {name}: options and enum differ")
    return Field(
        id=name,
        schema=data,
        label=Names.of(meta["label"]),
        scope=meta["scope"],
        help=Names.of(meta["help"]) if "help" in meta else None,
        check=check,
        example=meta.get("example"),
        options=options,
    )


@cache
def field_dictionary() -> FieldDictionary:
    """The packaged dictionary, read once."""
    return FieldDictionary(read_data("fields.json"))


def check_value(field_id: str, value: object, *, today: dt.date) -> Any:
    """Check one value against its dictionary field and return it normalised; raises
    `FieldError`. The Python check runs first, as it normalises ("１３８…", "+86", "1,000.5")."""
    dictionary = field_dictionary()
    spec = dictionary[field_id]
    if value is None or value == "":
        raise FieldError(field_id, MESSAGES["required"])
    try:
        clean = CHECKS[spec.check](value, today) if spec.check else value
    except FieldError as exc:
        raise FieldError(field_id, exc.message_id, exc.params) from None
    errors = sorted(dictionary.field_validator(field_id).iter_errors(clean), key=_rank)
    for error in errors:
        raise FieldError(field_id, *describe_error(error, spec.example))
    return clean


# A huge amount breaks both its money bound and its length: the bound is what the teller
# and the customer understand ("at most 1,000,000.00", not "at most 15 characters").
_LAST: Final = frozenset({"maxLength", "minLength"})


def _rank(error: Any) -> int:
    return 1 if str(error.validator) in _LAST else 0
