"""What a field says when it refuses a value: the message ids and the problems built from them.

Problems carry an English message id and parameters (`FieldError`, `FieldProblem`), as in
`manyi.errors`; the ids are listed in `catalogue_data/messages.json` (`MESSAGES`), which
`read_data` reads with the rest of the package's data. `invalid` builds a refusal by key,
`from_personal` words a `manyi.personal` refusal, `describe_error` a JSON Schema one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, Final

from manyi.errors import InvalidInput

__all__ = [
    "MESSAGES",
    "FieldError",
    "FieldProblem",
    "describe_error",
    "from_personal",
    "invalid",
    "money_text",
    "read_data",
]


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


def money_text(bound: object) -> str:
    """A decimal bound as the teller and the customer read money: "1,000,000.00"."""
    try:
        return f"{Decimal(str(bound)):,.2f}"
    except InvalidOperation:
        return str(bound)


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
    if keyword in ("x-manyi-minimum", "x-manyi-maximum"):  # decimal bounds: money
        return MESSAGES[_KEYWORD_MESSAGES[keyword]], {"limit": money_text(bound)}
    if keyword in _KEYWORD_MESSAGES:
        limit = {"limit": bound} if keyword.startswith(("min", "max", "exclusive")) else {}
        return MESSAGES[_KEYWORD_MESSAGES[keyword]], limit
    return MESSAGES["reason"], {"reason": str(error.message)}
