"""The field dictionary: the shared fields every counter form is built from.

`catalogue_data/fields.json` is a JSON Schema 2020-12 document (`$id` = `FIELDS_URI`) with
one `$defs` entry per field, which transaction types `$ref`. Each entry's `x-manyi`
annotation gives `label` and `help` (zh + en), `scope`, `example`, `options` (enum labels)
and `check`: the Python check for what JSON Schema cannot say (check digits, Luhn,
full-width digits, "1,000.50"). `scope` is "customer" for the person's data, asked once
on a merged form (name, ID, mobile, address, their account or card), and "item" for
one transaction's data (amount, payee, term…); see merge.py. Two manyi keywords bound
decimal strings, which `minimum` cannot compare: `x-manyi-minimum`, `x-manyi-maximum`.

Problems carry an English message id and parameters (`FieldError`, `FieldProblem`), as in
`manyi.errors`; the ids are listed in `catalogue_data/messages.json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Final

import jsonschema
from referencing import Registry, Resource

from manyi import personal
from manyi.errors import InvalidInput

__all__ = [
    "DEF_PREFIX",
    "FIELDS_URI",
    "LONG_TERM",
    "MESSAGES",
    "Field",
    "FieldDictionary",
    "FieldError",
    "FieldProblem",
    "Names",
    "Option",
    "amount_of",
    "check_value",
    "field_dictionary",
]

FIELDS_URI: Final = "https://manyi.example/schemas/fields/v1"
DEF_PREFIX: Final = FIELDS_URI + "#/$defs/"
SCOPES: Final = frozenset({"customer", "item"})


def read_data(name: str) -> Any:
    """A JSON file of `catalogue_data`, the package's data."""
    path = resources.files("manyi.counter").joinpath("catalogue_data", name)
    return json.loads(path.read_text("utf-8"))


# English templates, translated by manyi.web.i18n; ID and mobile ones reuse complaint wording.
_MESSAGE_DATA: Final = read_data("messages.json")
MESSAGES: Final[Mapping[str, str]] = _MESSAGE_DATA["messages"]

# Patterns over `manyi.personal`'s English reasons, giving back message ids and parameters.
_PERSONAL_REASONS: Final = tuple(
    (re.compile(pattern), MESSAGES[key]) for pattern, key in _MESSAGE_DATA["personal_reasons"]
)
_KEYWORD_MESSAGES: Final[Mapping[str, str]] = _MESSAGE_DATA["schema_keywords"]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field: a translatable message id and its parameters."""

    field: str
    message_id: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict, hash=False)

    def text(self, translate: Callable[[str], str] | None = None) -> str:
        template = translate(self.message_id) if translate else self.message_id
        try:
            return template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message_id


class FieldError(InvalidInput):
    """A value a field refuses; `message` is the message id, as in `manyi.errors`.

    The checks raise it with an empty `field` (they do not know which field they check);
    `check_value` raises it again with the field.
    """

    def __init__(self, field: str, message_id: str, params: Mapping[str, object] | None = None):
        extra: dict[str, Any] = dict(params or {})
        super().__init__(message_id, field, **extra)
        self.message_id = message_id

    @property
    def problem(self) -> FieldProblem:
        return FieldProblem(self.field, self.message_id, dict(self.params))


def invalid(key: str, field: str = "", **params: object) -> FieldError:
    """The `FieldError` of message `key` of MESSAGES."""
    return FieldError(field, MESSAGES[key], params)


def from_personal(exc: ValueError, field: str = "") -> FieldError:
    """A `manyi.personal` refusal as a message id with parameters."""
    reason = str(exc)
    for pattern, message_id in _PERSONAL_REASONS:
        found = pattern.fullmatch(reason)
        if found:
            return FieldError(field, message_id, found.groupdict())
    return invalid("reason", field, reason=reason)


def describe_error(error: Any, example: str | None = None) -> tuple[str, dict[str, object]]:
    """A jsonschema `ValidationError` as a friendly message id and its parameters."""
    keyword, bound = str(error.validator), error.validator_value
    if keyword == "type":
        keyword = "type:" + (bound if isinstance(bound, str) else bound[0])
    if keyword == "minLength" and bound <= 1:
        return MESSAGES["required"], {}
    if keyword == "pattern" and example:
        return MESSAGES["format"], {"example": example}
    if keyword == "format" and bound == "date":
        return MESSAGES["date"], {"example": example or "2025-01-31"}
    if keyword == "const":
        return (MESSAGES["confirm"], {}) if bound is True else (MESSAGES["const"], {"value": bound})
    if keyword in _KEYWORD_MESSAGES:
        limit = {"limit": bound} if keyword.startswith(("min", "max", "exclusive", "x-")) else {}
        return MESSAGES[_KEYWORD_MESSAGES[keyword]], limit
    return MESSAGES["reason"], {"reason": str(error.message)}


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
    if check is not None and check not in _CHECKS:
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
        clean = _CHECKS[spec.check](value, today) if spec.check else value
    except FieldError as exc:
        raise FieldError(field_id, exc.message_id, exc.params) from None
    for error in dictionary.field_validator(field_id).iter_errors(clean):
        raise FieldError(field_id, *describe_error(error, spec.example))
    return clean


def amount_of(value: object) -> Decimal | None:
    """The Decimal of a normalised amount ("1000.50"), None for anything else."""
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
        return None
    return Decimal(value)


# --- the Python checks named by the dictionary's `check` -----------------------

_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_SEPARATORS = re.compile(r"[\s\-]+")
_NAME_MARKS = frozenset(" ·.'-")
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "是": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False, "否": False}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")

Check = Callable[[object, dt.date], object]


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


_CHECKS: Final[Mapping[str, Check]] = {
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
