"""Message catalogues (gettext .po files read with Babel) and language choice.

Message ids are English; `zh_CN` translates them. Chinese is the default
language; a visitor switches with the language link, which sets a cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.requests import Request

CATALOGUE_DIR = Path(__file__).parent / "i18n"
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "manyi_lang"

Translate = Callable[[str], str]


@cache
def catalogue(locale: str) -> dict[str, str]:
    path = CATALOGUE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=locale)
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and message.string and not message.fuzzy
    }


def translator(lang: str) -> Translate:
    messages = catalogue(LANGUAGES.get(lang, "en"))

    def translate(text: str) -> str:
        return messages.get(text, text)

    return translate


def request_language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
