"""Comment themes: what customers write about, counted and shown with masked examples (pure).

Each comment is cut into words by jieba (Chinese has no spaces); a comment counts once for a
theme when one of its words is one of the theme's keywords (the bank's list,
`themes_zh.txt`: "theme: keyword keyword ..."). The keywords are added to jieba's dictionary
so a keyword is never cut in two. Examples shown on a page are masked first: phone numbers, ID
and card numbers, and names before 先生/女士/小姐 or after 姓 (`mask_personal`).

No database and no clock here: the page's service passes the comments in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from manyi.personal import mask_card, mask_id, mask_phone

THEMES_FILE = Path(__file__).with_name("themes_zh.txt")
EXAMPLES = 3  # per theme
EXAMPLE_CHARS = 120  # an example longer than this is cut

_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_CARD = re.compile(r"(?<![0-9])[0-9]{15,19}(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")
_HAN = "[\u4e00-\u9fff]"
_TITLE_NAME = re.compile(rf"({_HAN}{{1,3}}?)(先生|女士|小姐)")
_SURNAME = re.compile(rf"(姓)({_HAN})")


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    keywords: frozenset[str]


@dataclass(frozen=True)
class ThemeCount:
    name: str
    count: int
    examples: list[str] = field(default_factory=list)  # masked, at most EXAMPLES

    def as_json(self) -> dict[str, Any]:
        return {"theme": self.name, "count": self.count, "examples": self.examples}


def parse_themes(text: str) -> list[Theme]:
    """The themes of a keyword list; a line without "theme: keywords" is an error."""
    themes: list[Theme] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, words = line.partition(":")
        keywords = frozenset(words.split())
        if not sep or not name.strip() or not keywords:
            raise ValueError(f"theme list line {number}: expected 'theme: keyword keyword ...'")
        themes.append(Theme(name.strip(), keywords))
    return themes


@cache
def bank_themes() -> tuple[Theme, ...]:
    """The bank's theme list shipped with the package."""
    return tuple(parse_themes(THEMES_FILE.read_text(encoding="utf-8")))


def mask_personal(text: str) -> str:
    """The comment with personal data masked: ID, card and phone numbers, and the name in
    "王先生", "张三女士" or "姓李"."""
    text = _ID.sub(lambda m: mask_id(m.group()), text)
    text = _CARD.sub(lambda m: mask_card(m.group()), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group()), text)
    text = _LANDLINE.sub(lambda m: m.group()[:4] + "*" * (len(m.group()) - 4), text)
    text = _TITLE_NAME.sub(lambda m: "*" * len(m.group(1)) + m.group(2), text)
    return _SURNAME.sub(lambda m: m.group(1) + "*", text)


@cache
def _tokenizer(keywords: frozenset[str]) -> Any:
    import jieba  # loaded when first needed: building its dictionary takes a moment

    jieba.setLogLevel(60)  # no "Building prefix dict" chatter on stderr
    tokenizer = jieba.Tokenizer()
    for word in sorted(keywords):
        tokenizer.add_word(word, freq=100_000)
    return tokenizer


def words(text: str, themes: Sequence[Theme]) -> set[str]:
    """jieba's words of `text`, with every theme keyword known as a word."""
    keywords = frozenset(k for theme in themes for k in theme.keywords)
    return {w.strip() for w in _tokenizer(keywords).lcut(text) if w.strip()}


def count_themes(
    comments: Iterable[str], themes: Sequence[Theme] | None = None
) -> list[ThemeCount]:
    """Each theme with the number of comments about it and up to EXAMPLES distinct masked
    examples (the latest first when the comments come newest first);
    themes with no comment are left out; most frequent first, then in list order."""
    themes = list(bank_themes() if themes is None else themes)
    counts = {t.name: 0 for t in themes}
    examples: dict[str, list[str]] = {t.name: [] for t in themes}
    seen: dict[str, set[str]] = {}  # the same comment is common ("很好"): cut it once
    for comment in comments:
        text = comment.strip()
        if not text:
            continue
        found = seen.get(text)
        if found is None:
            found = seen[text] = words(text, themes)
        for theme in themes:
            if found & theme.keywords:
                counts[theme.name] += 1
                example = _example(text)
                shown = examples[theme.name]
                if len(shown) < EXAMPLES and example not in shown:
                    shown.append(example)
    order = {t.name: index for index, t in enumerate(themes)}
    found_themes = [ThemeCount(n, c, examples[n]) for n, c in counts.items() if c]
    return sorted(found_themes, key=lambda t: (-t.count, order[t.name]))


def _example(text: str) -> str:
    masked = mask_personal(text)
    return masked if len(masked) <= EXAMPLE_CHARS else masked[: EXAMPLE_CHARS - 1] + "…"
