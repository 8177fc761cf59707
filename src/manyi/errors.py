"""Errors that use cases raise and every entry point turns into a clear message.

`message` is an English template such as "unit code {code} already exists";
`params` fill it. Entry points translate the template, then fill it, so the
same error reads in Chinese on a page and in English in a log.
"""

from __future__ import annotations


class ManyiError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str = "", **params: object) -> None:
        self.message = message
        self.field = field
        self.params = params
        super().__init__(self.text())

    def text(self, translate: object = None) -> str:
        template = translate(self.message) if callable(translate) else self.message
        try:
            return str(template).format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


class InvalidInput(ManyiError):
    status_code = 422


class NotFound(ManyiError):
    status_code = 404


class Conflict(ManyiError):
    status_code = 409


class Forbidden(ManyiError):
    status_code = 403
