"""The model store: trained versions of each target's classifier, kept with their evaluation,
and loaded for suggestions only while they still fit the taxonomy.

A model is stored as `classifier.dumps` (an .npz of arrays and JSON: no pickle, so a blob
replaced in the database can hold numbers and text, never code) with the SHA-256 of the bytes
trained. Loading refuses, logs and reports (never raises) a model whose blob does not match its
checksum or does not parse, and one whose labels are no longer all active codes of its axis
(`domain.suggesting.taxonomy_mismatch`). Loaded models are kept per process, keyed by the
version's id and checksum: training a new version (a new id) is picked up by the next load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from manyi.complaints import categories as complaint_categories
from manyi.complaints.domain.taxonomy import Axis
from manyi.insight import issues
from manyi.insight.classifier_tables import ClassifierModel
from manyi.insight.domain.suggesting import TARGETS, TaxonomyMismatch, taxonomy_mismatch

# The classifier is imported where it is used: numpy, SciPy and scikit-learn take some 1.5 s
# to load, which every process (each web worker, each CLI command) would otherwise pay at start,
# before it needs them. (A web process loads them in the background: complaints_adapters.)
if TYPE_CHECKING:
    from manyi.insight.domain.classifier import TextClassifier

log = logging.getLogger(__name__)

_AXES = {"business": Axis.BUSINESS, "cause": Axis.CAUSE, "appeal": Axis.APPEAL}


@dataclass(frozen=True)
class Loaded:
    target: str
    model_id: int
    version: int
    model: TextClassifier


@dataclass(frozen=True)
class Refused:
    target: str
    model_id: int
    version: int
    reason: str  # in English, for the log, the page and the command line


_lock = threading.Lock()
# target → ((model id, blob checksum), model): a version is known by its id and its bytes.
_cache: dict[str, tuple[tuple[int, str], TextClassifier]] = {}
_logged: set[tuple[int, str]] = set()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _logged.clear()


def active_codes(session: Session, target: str) -> list[str]:
    """The values a model of `target` may suggest today (empty for the free-text product)."""
    if target in _AXES:
        return [c.code for c in complaint_categories.categories(session, _AXES[target])]
    if target == "issue":
        return [c.code for c in issues.categories(session)]
    return []


def mismatch(session: Session, row: ClassifierModel) -> TaxonomyMismatch | None:
    return taxonomy_mismatch(row.target, row.labels, active_codes(session, row.target))


def next_version(session: Session, target: str) -> int:
    last = session.scalar(
        select(func.max(ClassifierModel.version)).where(ClassifierModel.target == target)
    )
    return int(last or 0) + 1


def save(
    session: Session,
    target: str,
    model: TextClassifier,
    *,
    training_size: int,
    label_counts: dict[str, int],
    left_out: dict[str, int],
    evaluation: dict[str, Any] | None,
    trained_by_id: int | None,
    trained_by: str,
    now: dt.datetime,
) -> ClassifierModel:
    """A new active version of `target`'s model; the one before stays, inactive, with its
    evaluation."""
    from manyi.insight.domain import classifier  # when needed: see TYPE_CHECKING above

    blob = classifier.dumps(model)
    session.execute(
        update(ClassifierModel)
        .where(ClassifierModel.target == target, ClassifierModel.active.is_(True))
        .values(active=False)
    )
    row = ClassifierModel(
        target=target,
        version=next_version(session, target),
        method=classifier.METHOD,
        labels=list(model.labels),
        blob=blob,
        blob_sha256=hashlib.sha256(blob).hexdigest(),
        training_size=training_size,
        label_counts=label_counts,
        left_out=left_out,
        evaluation=evaluation,
        trained_at=now,
        trained_by_id=trained_by_id,
        trained_by=trained_by,
        active=True,
    )
    session.add(row)
    session.flush()
    return row


def active_row(session: Session, target: str) -> ClassifierModel | None:
    return session.scalar(
        select(ClassifierModel).where(
            ClassifierModel.target == target, ClassifierModel.active.is_(True)
        )
    )


def _refuse(row: ClassifierModel, reason: str) -> Refused:
    key = (row.id, reason)
    if key not in _logged:
        _logged.add(key)
        log.warning("classifier %s v%s refused: %s", row.target, row.version, reason)
    return Refused(row.target, row.id, row.version, reason)


def load(session: Session, target: str) -> Loaded | Refused | None:
    """The active model of `target` ready to predict, why it is refused, or None (none trained)."""
    # The blob is read only when this process has not loaded this version yet.
    row = session.scalar(
        select(ClassifierModel)
        .options(defer(ClassifierModel.blob))
        .where(ClassifierModel.target == target, ClassifierModel.active.is_(True))
    )
    if row is None:
        return None
    problem = mismatch(session, row)
    if problem is not None:
        return _refuse(row, problem.message())
    with _lock:
        cached = _cache.get(target)
    if cached is not None and cached[0] == (row.id, row.blob_sha256):
        return Loaded(target, row.id, row.version, cached[1])
    blob = bytes(row.blob)
    if hashlib.sha256(blob).hexdigest() != row.blob_sha256:
        return _refuse(row, f"model for {target}: the stored model does not match its checksum")
    from manyi.insight.domain import classifier  # when needed: see TYPE_CHECKING above

    try:
        model = classifier.loads(blob)
    except ValueError as exc:
        return _refuse(row, f"model for {target}: the stored model cannot be read ({exc})")
    if list(model.labels) != list(row.labels):
        return _refuse(row, f"model for {target}: the stored model's labels are not its record's")
    with _lock:
        _cache[target] = ((row.id, row.blob_sha256), model)
    return Loaded(target, row.id, row.version, model)


def load_all(session: Session) -> dict[str, Loaded | Refused]:
    """Each target's active model, loaded or refused (targets with none are left out)."""
    found: dict[str, Loaded | Refused] = {}
    for target in TARGETS:
        result = load(session, target)
        if result is not None:
            found[target] = result
    return found


def versions(session: Session, target: str | None = None) -> list[ClassifierModel]:
    """Stored versions, newest first (the blobs are not read)."""
    query = (
        select(ClassifierModel)
        .options(defer(ClassifierModel.blob))
        .order_by(ClassifierModel.target, ClassifierModel.version.desc())
    )
    if target is not None:
        query = query.where(ClassifierModel.target == target)
    return list(session.scalars(query))
