"""The complaint text classifier: text in, a label with a confidence out.

Method (`METHOD`, measured in docs/complaints.md "Automatic classification"):

- features (`text_features`): TF-IDF of words and word pairs (jieba's words for Chinese), with
  sublinear term counts; when a tenth or more of the training texts are Chinese, TF-IDF of
  1–3 character n-grams as well, because a Chinese term is cut into words differently from one
  text to the next while its characters stay the same. On English complaints character
  n-grams cost four times the time and did not pay (docs), so English texts go without;
- a linear support-vector machine (C = 0.5) with class weights inversely proportional to class
  sizes: a category with few complaints counts as much as a common one, because the rare one
  can be the serious one;
- a confidence that says how often a prediction like this one is right: a logistic curve of the
  winning score and its lead over the runner-up (Platt's method), fitted on held-out scores
  of the training set (3 inner folds), so that a "0.8" is right about four times in five. (A
  softmax of the scores with one fitted sharpness was tried first: above 0.8 it was right
  only 7 times in 10; docs.)

A fitted classifier is plain data (`to_parts`): JSON (method, version, labels, settings,
vocabularies) and numeric arrays (idf weights, coefficients). `dumps`/`loads` write and read
them as one ``.npz`` archive with no pickle in it: a model read from the database or a file
can hold numbers and text only, never code. Everything else about it is checked on load.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from manyi.insight.domain.text_features import Features, ViewSettings, has_chinese

FORMAT = "manyi.text-classifier"
METHOD = "tfidf+linear-svm"
VERSION = 1

WORD_VIEW = ViewSettings("word", 1, 2, min_df=2)
CHINESE_CHAR_VIEW = ViewSettings("char_wb", 1, 3, min_df=2, max_features=100_000)
CHINESE_SHARE = 0.1  # of the training texts, for the character view
C = 0.5
CALIBRATION_FOLDS = 3
MAX_UNPACKED_BYTES = 1 << 30  # a model for 30 labels and 1M terms is about 240 MB
# (winning score, lead, intercept) weights when the training set is too small to hold out.
DEFAULT_CALIBRATION = (0.0, 2.0, 0.0)


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # 0..1, calibrated-ish probability of `label`


class TextClassifier:
    def __init__(
        self,
        labels: Sequence[str],
        features: Features,
        coef: np.ndarray,
        intercept: np.ndarray,
        calibration: tuple[float, float, float],
    ) -> None:
        self._labels = tuple(labels)
        self._features = features
        self._coef = coef
        self._intercept = intercept
        self._calibration = calibration

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> TextClassifier:
        texts, y, names = _checked(texts, labels)
        features = Features.fit(views_for(texts), texts)
        x = features.transform(texts)
        coef, intercept = _linear(x, y, len(names), seed)
        # Stored as float32 (half the bytes); kept at that precision here too, so a fitted
        # and a loaded model score alike.
        coef = coef.astype(np.float32).astype(np.float64)
        calibration = _fit_calibration(x, y, len(names), seed)
        return cls(names, features, coef, intercept, calibration)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """One row of scores per text, one column per label (the highest wins)."""
        x = self._features.transform(list(texts))
        scores: np.ndarray = np.asarray(x @ self._coef.T) + self._intercept
        return scores

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        scores = self.decision(texts)
        best = scores.argmax(axis=1)
        confidence = _confidence(scores, self._calibration)
        return [Prediction(self._labels[i], float(confidence[row])) for row, i in enumerate(best)]

    def to_parts(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able meta incl. method name + version + labels + vocabularies, numeric arrays)."""
        views = []
        arrays: dict[str, np.ndarray] = {}
        for i, (settings, terms, idf) in enumerate(self._features.parts()):
            views.append({"settings": settings.to_json(), "vocabulary": terms})
            arrays[f"idf_{i}"] = idf
        arrays["coef"] = self._coef.astype(np.float32)
        arrays["intercept"] = self._intercept
        meta = {
            "format": FORMAT,
            "method": METHOD,
            "version": VERSION,
            "labels": list(self._labels),
            "views": views,
            "calibration": list(self._calibration),
        }
        return meta, arrays

    @classmethod
    def from_parts(cls, meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TextClassifier:
        return _from_parts(meta, arrays)


def dumps(clf: TextClassifier) -> bytes:
    """The classifier as an ``.npz`` archive: its arrays and a ``meta`` member of UTF-8 JSON."""
    meta, arrays = clf.to_parts()
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    members: dict[str, Any] = {"meta": np.frombuffer(text, dtype=np.uint8), **arrays}
    np.savez_compressed(buffer, **members)
    return buffer.getvalue()


def loads(data: bytes) -> TextClassifier:
    """Reads `dumps`'s bytes; anything else (a pickle, a damaged or foreign file) is a
    ValueError that says what is wrong. Nothing in the data is ever run as code."""
    if not data.startswith(b"PK"):
        raise ValueError("not a manyi classifier model: the data is not an .npz archive")
    _check_unpacked_size(data)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise ValueError("not a manyi classifier model: the data is not an .npz archive")
            members = {name: archive[name] for name in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ValueError("refused: the model holds pickled objects") from None
        raise ValueError(f"not a manyi classifier model: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"not a manyi classifier model: the archive is damaged ({exc})") from None
    raw = members.pop("meta", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError("not a manyi classifier model: the archive has no meta member")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the model's meta is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError("the model's meta is not a JSON object")
    return TextClassifier.from_parts(meta, members)


def _check_unpacked_size(data: bytes) -> None:
    """A small archive that unpacks to gigabytes is refused before it is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"not a manyi classifier model: the archive is damaged ({exc})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValueError(
            f"refused: the model unpacks to {unpacked:,} bytes, more than {MAX_UNPACKED_BYTES:,}"
        )


# --- Fitting -----------------------------------------------------------------------------


def views_for(texts: Sequence[str]) -> tuple[ViewSettings, ...]:
    """Words always; characters too when a tenth or more of the texts are Chinese."""
    chinese = sum(1 for text in texts if has_chinese(text))
    if texts and chinese >= CHINESE_SHARE * len(texts):
        return (WORD_VIEW, CHINESE_CHAR_VIEW)
    return (WORD_VIEW,)


def _checked(
    texts: Sequence[str], labels: Sequence[str]
) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if any(not isinstance(t, str) for t in texts) or any(not isinstance(x, str) for x in labels):
        raise ValueError("texts and labels must be strings")
    names = tuple(sorted(set(labels)))
    if len(names) < 2:
        raise ValueError("a classifier needs examples of at least 2 labels")
    index = {name: i for i, name in enumerate(names)}
    return list(texts), np.array([index[label] for label in labels]), names


def _linear(
    x: sparse.csr_matrix, y: np.ndarray, n_labels: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, intercepts), one row per label even for two labels."""
    model = LinearSVC(C=C, class_weight="balanced", random_state=seed)
    model.fit(x, y)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if n_labels == 2:  # one score d for the second label: as two rows, -d/2 and +d/2
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef, intercept


def _fit_calibration(
    x: sparse.csr_matrix, y: np.ndarray, n_labels: int, seed: int
) -> tuple[float, float, float]:
    """Weights of (winning score, lead) that predict whether a held-out prediction was right."""
    if np.bincount(y, minlength=n_labels).min() < CALIBRATION_FOLDS:
        return DEFAULT_CALIBRATION
    scores = np.zeros((len(y), n_labels))
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(y)), y):
        coef, intercept = _linear(x[train], y[train], n_labels, seed)
        scores[test] = np.asarray(x[test] @ coef.T) + intercept
    right = scores.argmax(axis=1) == y
    if right.all() or not right.any():
        return DEFAULT_CALIBRATION
    curve = LogisticRegression(C=1.0).fit(_top_and_lead(scores), right)
    top, lead = (float(w) for w in curve.coef_[0])
    return top, lead, float(curve.intercept_[0])


def _top_and_lead(scores: np.ndarray) -> np.ndarray:
    ordered = np.sort(scores, axis=1)
    return np.column_stack([ordered[:, -1], ordered[:, -1] - ordered[:, -2]])


def _confidence(scores: np.ndarray, calibration: tuple[float, float, float]) -> np.ndarray:
    top, lead, bias = calibration
    z = _top_and_lead(scores) @ np.array([top, lead]) + bias
    confidence: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    return confidence


# --- Loading -----------------------------------------------------------------------------


def _from_parts(meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TextClassifier:
    if meta.get("format") != FORMAT:
        raise ValueError(f"not a manyi classifier model (format {meta.get('format')!r})")
    if meta.get("method") != METHOD or meta.get("version") != VERSION:
        raise ValueError(
            f"the model is {meta.get('method')!r} version {meta.get('version')!r}; this manyi "
            f"reads {METHOD!r} version {VERSION}: train it again"
        )
    labels = meta.get("labels")
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(x, str) for x in labels)
        or len(set(labels)) != len(labels)
    ):
        raise ValueError("the model's labels must be a list of at least 2 distinct texts")
    views = meta.get("views")
    if not isinstance(views, list) or not views:
        raise ValueError("the model has no feature views")
    parts = []
    for i, view in enumerate(views):
        if not isinstance(view, dict):
            raise ValueError(f"feature view {i} is not an object")
        terms = view.get("vocabulary")
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ValueError(f"feature view {i}'s vocabulary must be a list of texts")
        parts.append(
            (ViewSettings.from_json(view.get("settings")), terms, _array(arrays, f"idf_{i}"))
        )
    features = Features.rebuild(parts)
    coef = _array(arrays, "coef")
    intercept = _array(arrays, "intercept")
    if coef.shape != (len(labels), features.size):
        raise ValueError(
            f"the model's coefficients have shape {coef.shape}, expected "
            f"({len(labels)}, {features.size}) for its labels and vocabularies"
        )
    if intercept.shape != (len(labels),):
        raise ValueError(f"the model's intercepts have shape {intercept.shape}")
    extra = set(arrays) - {"coef", "intercept"} - {f"idf_{i}" for i in range(len(views))}
    if extra:
        raise ValueError(f"the model has unknown arrays: {', '.join(sorted(extra))}")
    calibration = meta.get("calibration")
    if (
        not isinstance(calibration, list)
        or len(calibration) != 3
        or not all(_is_number(w) for w in calibration)
    ):
        raise ValueError("the model's confidence calibration must be 3 finite numbers")
    top, lead, bias = (float(w) for w in calibration)
    return TextClassifier(labels, features, coef, intercept, (top, lead, bias))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _array(arrays: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name not in arrays:
        raise ValueError(f"the model has no {name!r} array")
    array = np.asarray(arrays[name])
    if array.dtype.kind != "f":
        raise ValueError(f"the model's {name!r} array must hold numbers, not {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"the model's {name!r} array holds a value that is not finite")
    checked: np.ndarray = array.astype(np.float64, copy=False)
    return checked
