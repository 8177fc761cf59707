"""Training the classifier of each target from the bank's own confirmed cases.

A target's training set is every complaint whose value on it is confirmed
(`domain.suggesting.confirmed`: set by staff or imported, not a model's unconfirmed output),
its text being subject, account and request; labels with fewer than `min_per_class` cases are
left out (recorded with the version). Each version is evaluated by stratified k-fold on its own
training cases (i19-clf's `domain.evaluation.cross_validate`, seed 0) and stored with that
evaluation (`model_store.save`).

Three steps, so the command line can read and fit outside the write transaction (a fit takes
seconds; SQLite would hold every other writer for that long): `gather` (read), `fit` (no
database), `store` (write). `train_all` does the three in one unit of work for the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints import ports as complaint_ports
from manyi.complaints.tables import Complaint
from manyi.insight import model_store
from manyi.insight.classifier_tables import ClassifierModel, ClassifierSuggestion
from manyi.insight.domain import classifier
from manyi.insight.domain.evaluation import cross_validate
from manyi.insight.domain.suggesting import (
    DEFAULT_MIN_PER_CLASS,
    TARGETS,
    Outcome,
    TrainingRefused,
    TrainingSet,
    case_text,
    folds_for,
    training_set,
)

# The newest cases a model learns from: enough for every label a bank uses, and a fit that
# stays within a minute on one core.
MAX_TRAINING_CASES = 50_000


def confirmed_cases(session: Session, target: str) -> list[tuple[str, str]]:
    """(text, label) of the newest complaints whose value on `target` is confirmed."""
    column = getattr(Complaint, complaint_ports.column_of(target))
    machine_made = select(ClassifierSuggestion.complaint_id).where(
        ClassifierSuggestion.target == target,
        ClassifierSuggestion.outcome == Outcome.AUTO_APPLIED.value,
    )
    rows = session.execute(
        select(Complaint.subject, Complaint.description, Complaint.request, column)
        .where(column.is_not(None), column != "", Complaint.id.not_in(machine_made))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(MAX_TRAINING_CASES)
    )
    return [(case_text(s, d, r), str(label)) for s, d, r, label in rows]


def gather(session: Session, target: str, *, min_per_class: int) -> TrainingSet:
    """The training set of `target`; TrainingRefused when there are too few cases."""
    if target not in TARGETS:
        raise TrainingRefused(f"unknown target {target!r}: one of {', '.join(TARGETS)}")
    return training_set(
        target,
        confirmed_cases(session, target),
        min_per_class=min_per_class,
        allowed=set(model_store.active_codes(session, target)),
    )


@dataclass(frozen=True)
class Fitted:
    target: str
    model: classifier.TextClassifier
    data: TrainingSet
    evaluation: dict[str, Any] | None


def fit(target: str, data: TrainingSet) -> Fitted:
    """The model of `target` fitted on all of `data`, with its k-fold evaluation (none when the
    smallest class has a single case)."""
    model = classifier.TextClassifier.fit(data.texts, data.labels, seed=0)
    k = folds_for(data.label_counts)
    evaluation: dict[str, Any] | None = None
    if k:
        result = cross_validate(data.texts, data.labels, k=k, seed=0)
        evaluation = {"folds": k, **result.as_dict()}
    return Fitted(target, model, data, evaluation)


def store(
    session: Session, fitted: Fitted, actor: audit.Actor, now: dt.datetime
) -> ClassifierModel:
    """The fitted model as the target's new active version, on the audit chain."""
    row = model_store.save(
        session,
        fitted.target,
        fitted.model,
        training_size=len(fitted.data.labels),
        label_counts=fitted.data.label_counts,
        left_out=fitted.data.left_out,
        evaluation=fitted.evaluation,
        trained_by_id=actor.id,
        trained_by=actor.name,
        now=now,
    )
    audit.record(
        session,
        actor,
        entity_type="classifier_model",
        entity_id=f"{row.target}:v{row.version}",
        action="insight.classifier.train",
        summary={
            "target": row.target,
            "version": row.version,
            "training_size": row.training_size,
            "classes": len(row.labels),
            **({"macro_f1": fitted.evaluation["macro_f1"]} if fitted.evaluation else {}),
        },
        unit_id=actor.unit_id,
        unit_path=actor.unit_path,
        now=now,
    )
    return row


@dataclass(frozen=True)
class Trained:
    """What training one target gave: a new version, or why none."""

    target: str
    version: int | None = None
    training_size: int = 0
    classes: int = 0
    left_out: dict[str, int] | None = None
    evaluation: dict[str, Any] | None = None
    refused: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.refused:
            return {"target": self.target, "refused": self.refused}
        return {
            "target": self.target,
            "version": self.version,
            "training_size": self.training_size,
            "classes": self.classes,
            "left_out": self.left_out or {},
            "evaluation": self.evaluation,
        }


def trained(row: ClassifierModel) -> Trained:
    return Trained(
        target=row.target,
        version=row.version,
        training_size=row.training_size,
        classes=len(row.labels),
        left_out=dict(row.left_out or {}),
        evaluation=row.evaluation,
    )


def train_all(
    session: Session,
    actor: audit.Actor,
    now: dt.datetime,
    *,
    targets: tuple[str, ...] = TARGETS,
    min_per_class: int = DEFAULT_MIN_PER_CLASS,
) -> list[Trained]:
    """Train every target that has enough confirmed cases, in this unit of work; the others
    say why not."""
    results: list[Trained] = []
    for target in targets:
        try:
            data = gather(session, target, min_per_class=min_per_class)
        except TrainingRefused as exc:
            results.append(Trained(target=target, refused=str(exc)))
            continue
        results.append(trained(store(session, fit(target, data), actor, now)))
    return results
