"""Errors that use cases raise and every entry point turns into a clear message.

`message` is an English template such as "unit code {code} already exists";
`params` fill it. Entry points translate the template, then fill it, so the
same error reads in Chinese on a page and in English in a log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class Term(str):
    """A parameter that is itself a message id (a state, an action), translated too."""

    __slots__ = ()


class ManyiError(Exception):
    status_code = 400
    error_code = "bad_request"

    def __init__(
        self, message: str, field: str = "", *, error_code: str | None = None, **params: object
    ) -> None:
        self.message = message
        self.field = field
        self.params = params
        if error_code:
            self.error_code = error_code
        super().__init__(self.text())

    def text(
        self, translate: object = None, words: Mapping[str, Callable[[str], str]] | None = None
    ) -> str:
        """The message, translated when `translate` is given: the one way every entry point
        (page, JSON error, CLI) words a refusal.

        A `Term` parameter is translated too. `words` says how a feature shows a kind of code
        word in its pages (a state as its label, an action as its button): the parameter of that
        name goes through it instead.
        """
        params: dict[str, object]
        if callable(translate):
            template = str(translate(self.message))
            params = {}
            for key, value in self.params.items():
                if words and key in words and isinstance(value, str):
                    params[key] = words[key](value)
                elif isinstance(value, Term):
                    params[key] = translate(str(value))
                else:
                    params[key] = value
        else:
            template, params = self.message, self.params
        try:
            return str(template).format(**params)
        except (KeyError, IndexError, ValueError):
            return self.message


class InvalidInput(ManyiError):
    status_code = 422
    error_code = "invalid_input"


class NotFound(ManyiError):
    status_code = 404
    error_code = "not_found"


class Conflict(ManyiError):
    status_code = 409
    error_code = "conflict"


class Forbidden(ManyiError):
    status_code = 403
    error_code = "forbidden"
