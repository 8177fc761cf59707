"""Turning complaint text (Chinese and English) into the classifier's numbers.

TF-IDF views of the same text, side by side (the classifier says which it uses):

- words: Chinese runs are cut into words by jieba, Latin-script text into words at non-letters;
  single words and pairs of neighbouring words count, so "not received" says more than "not";
- characters: character n-grams within whitespace-separated chunks (``char_wb``), which catch
  Chinese terms jieba cuts differently from one text to the next.

Everything a fitted view needs to transform new text is plain data: its settings, its vocabulary
(the terms in column order) and its idf weights, so a model is stored without pickle and rebuilt
here (`rebuild`) to give the very same numbers.

jieba reads its dictionary (a second or more) the first time it cuts Chinese text; it is
imported only then, so English-only work never pays for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

# CJK unified ideographs (basic, extension A, compatibility) as one class.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run of Han characters, or a Latin-script word (letters and digits, an inner apostrophe).
_TOKEN = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+(?:'[^\W_{_HAN}]+)*")
_IS_HAN = re.compile(rf"[{_HAN}]")
# The CFPB masks dates and names as XX/XX/XXXX, XXXX: one placeholder word, not a vocabulary.
_MASK = re.compile(r"^x{2,}$")

_jieba_cut: Any = None


def _cut_chinese(run: str) -> list[str]:
    global _jieba_cut
    if _jieba_cut is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # it prints its dictionary load otherwise
        _jieba_cut = jieba.lcut
    return [word for word in _jieba_cut(run) if word.strip()]


def has_chinese(text: str) -> bool:
    return _IS_HAN.search(text) is not None


def normalised(text: str) -> str:
    """Full-width letters and digits as ASCII (ＡＴＭ, １２３ → atm, 123), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased: jieba's words for Chinese, letters/digits otherwise."""
    out: list[str] = []
    for match in _TOKEN.finditer(normalised(text)):
        token = match.group()
        if _IS_HAN.match(token):
            out.extend(_cut_chinese(token))
        else:
            out.append("xxxx" if _MASK.match(token) else token)
    return out


@dataclass(frozen=True)
class ViewSettings:
    """One TF-IDF view. `kind` is "word" (our `words` tokeniser) or "char_wb"."""

    kind: str
    ngram_min: int
    ngram_max: int
    min_df: int = 2
    max_features: int | None = None
    sublinear_tf: bool = True

    def vectorizer(self, vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
        common: dict[str, Any] = {
            "ngram_range": (self.ngram_min, self.ngram_max),
            "sublinear_tf": self.sublinear_tf,
            "dtype": np.float64,
        }
        if vocabulary is None:
            common |= {"min_df": self.min_df, "max_features": self.max_features}
        else:
            common["vocabulary"] = list(vocabulary)
        if self.kind == "word":
            return TfidfVectorizer(
                analyzer="word", tokenizer=words, token_pattern=None, lowercase=False, **common
            )
        if self.kind == "char_wb":
            return TfidfVectorizer(analyzer="char_wb", preprocessor=normalised, **common)
        raise ValueError(f"unknown feature view kind {self.kind!r} (expected word or char_wb)")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ViewSettings:
        if not isinstance(data, dict):
            raise ValueError("a feature view's settings must be an object")
        try:
            settings = cls(**data)
        except TypeError as exc:
            raise ValueError(f"a feature view's settings are not valid: {exc}") from None
        if settings.kind not in ("word", "char_wb"):
            raise ValueError(f"unknown feature view kind {settings.kind!r}")
        if not (1 <= settings.ngram_min <= settings.ngram_max <= 8):
            raise ValueError("a feature view's n-gram range is not valid")
        return settings


class Features:
    """Fitted views; `transform` gives one sparse row per text, the views side by side."""

    def __init__(self, views: Sequence[tuple[ViewSettings, TfidfVectorizer, list[str]]]) -> None:
        self._views = list(views)

    @classmethod
    def fit(cls, settings: Sequence[ViewSettings], texts: Sequence[str]) -> Features:
        views = []
        for view in settings:
            vectorizer = view.vectorizer()
            vectorizer.fit(texts)
            vocabulary = vectorizer.vocabulary_
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            # The same object rebuilt from its parts, so a fitted and a loaded model agree.
            views.append((view, _rebuilt(view, terms, vectorizer.idf_), terms))
        return cls(views)

    @classmethod
    def rebuild(cls, parts: Sequence[tuple[ViewSettings, list[str], np.ndarray]]) -> Features:
        return cls([(view, _rebuilt(view, terms, idf), terms) for view, terms, idf in parts])

    @property
    def size(self) -> int:
        return sum(len(terms) for _, _, terms in self._views)

    def parts(self) -> list[tuple[ViewSettings, list[str], np.ndarray]]:
        return [(view, terms, vectorizer.idf_) for view, vectorizer, terms in self._views]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        blocks = [vectorizer.transform(texts) for _, vectorizer, _ in self._views]
        return sparse.hstack(blocks, format="csr")


def _rebuilt(view: ViewSettings, terms: list[str], idf: np.ndarray) -> TfidfVectorizer:
    if len(set(terms)) != len(terms):
        raise ValueError(f"the {view.kind} vocabulary repeats a term")
    if idf.shape != (len(terms),):
        raise ValueError(
            f"the {view.kind} idf weights have shape {idf.shape}, expected ({len(terms)},)"
        )
    if not np.all(np.isfinite(idf)) or np.any(idf < 1.0):
        raise ValueError(f"the {view.kind} idf weights are not valid (each is at least 1)")
    vectorizer = view.vectorizer(terms)
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer
