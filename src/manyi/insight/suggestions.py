"""Suggestions on new complaints: each target's active model reads the complaint and suggests
a value with its confidence; the handler accepts or corrects it; where the bank enabled it, a
confident one is applied at once (marked machine-made).

Made in the registering request's unit of work (staff form and public form alike, through
complaints' port), so the case and its suggestions are saved together; docs/complaints.md
"Suggestions and the model store" says why not in a worker. Imported cases get none: they
carry the classification of the system they came from.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from manyi.complaints import classification
from manyi.complaints.domain.model import OPEN_STATES
from manyi.complaints.tables import Complaint
from manyi.insight import auto_apply, model_store
from manyi.insight.classifier_tables import ClassifierModel, ClassifierSuggestion
from manyi.insight.domain.suggesting import (
    TARGETS,
    Outcome,
    auto_applies,
    case_text,
    outcome_after_staff,
)

log = logging.getLogger(__name__)


def suggest(session: Session, complaint_id: int, now: dt.datetime) -> list[ClassifierSuggestion]:
    """Suggest a value on every target with a usable model; apply the confident ones where
    enabled. A target already set (by the registering staff) gets its suggestion decided at
    once: accepted when the model agreed, corrected otherwise."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        return []
    have = set(
        session.scalars(
            select(ClassifierSuggestion.target).where(
                ClassifierSuggestion.complaint_id == complaint_id
            )
        )
    )
    text = case_text(complaint.subject, complaint.description, complaint.request)
    if not text:
        return []
    made: list[ClassifierSuggestion] = []
    for target, found in model_store.load_all(session).items():
        if target in have or not isinstance(found, model_store.Loaded):
            continue
        prediction = found.model.predict([text])[0]
        row = ClassifierSuggestion(
            complaint_id=complaint_id,
            target=target,
            value=prediction.label,
            confidence=round(prediction.confidence, 4),
            model_id=found.model_id,
            model_version=found.version,
            made_at=now,
            outcome=Outcome.PENDING.value,
        )
        chosen = classification.current(complaint, target)
        if chosen is not None:
            row.outcome = (
                Outcome.ACCEPTED if chosen == prediction.label else Outcome.CORRECTED
            ).value
            row.decided_by_id = complaint.registered_by_id
            row.decided_at = now
            row.final_value = chosen
        session.add(row)
        made.append(row)
    session.flush()
    _auto_apply(session, complaint_id, [r for r in made if r.outcome == Outcome.PENDING], now)
    return made


def _auto_apply(
    session: Session, complaint_id: int, pending: list[ClassifierSuggestion], now: dt.datetime
) -> None:
    setting = auto_apply.settings(session)
    confident = {
        r.target: r
        for r in pending
        if auto_applies(setting[r.target].enabled, setting[r.target].threshold, r.confidence)
    }
    if not confident:
        return
    applied = classification.apply_machine(
        session,
        complaint_id,
        {t: (r.value, r.confidence, r.model_version) for t, r in confident.items()},
        now,
    )
    for target in applied:
        confident[target].outcome = Outcome.AUTO_APPLIED.value
    session.flush()


def unsuggested_open_cases(session: Session, limit: int) -> list[int]:
    """Open complaints with no suggestion yet (registered before a model was trained, or
    imported), oldest first."""
    have = select(ClassifierSuggestion.complaint_id)
    return list(
        session.scalars(
            select(Complaint.id)
            .where(
                Complaint.state.in_([s.value for s in OPEN_STATES]),
                Complaint.id.not_in(have),
            )
            .order_by(Complaint.id)
            .limit(limit)
        )
    )


def after_registered(session: Session, complaint_id: int, now: dt.datetime) -> None:
    """`suggest`, never failing the registration: a failure is logged and undone (savepoint)."""
    try:
        with session.begin_nested():
            suggest(session, complaint_id, now)
    except Exception:  # a suggestion is a help, never a reason to lose a complaint
        log.exception("suggestions for complaint %s failed", complaint_id)


def of_case(session: Session, complaint_id: int) -> list[ClassifierSuggestion]:
    rows = session.scalars(
        select(ClassifierSuggestion).where(ClassifierSuggestion.complaint_id == complaint_id)
    )
    order = {t: i for i, t in enumerate(TARGETS)}
    return sorted(rows, key=lambda r: order.get(r.target, 99))


def machine_made(complaint: Complaint, rows: list[ClassifierSuggestion]) -> frozenset[str]:
    """Targets whose value on the case is a model's, not yet confirmed by staff."""
    return frozenset(
        r.target
        for r in rows
        if r.outcome == Outcome.AUTO_APPLIED
        and classification.current(complaint, r.target) == r.value
    )


def problems(session: Session) -> list[str]:
    """Why active models are not used (labels no longer in the taxonomy), without loading them."""
    found = []
    active = (
        select(ClassifierModel)
        .options(defer(ClassifierModel.blob))
        .where(ClassifierModel.active.is_(True))
    )
    for row in session.scalars(active):
        mismatch = model_store.mismatch(session, row)
        if mismatch is not None:
            found.append(mismatch.message())
    return found


def staff_classified(
    session: Session,
    complaint_id: int,
    values: dict[str, str | None],
    staff_id: int | None,
    now: dt.datetime,
) -> None:
    """Staff set these targets: their open suggestions are accepted or corrected."""
    for row in of_case(session, complaint_id):
        if row.target not in values:
            continue
        chosen = values[row.target]
        outcome = outcome_after_staff(Outcome(row.outcome), row.value, chosen)
        if outcome is None:
            continue
        row.outcome = outcome.value
        row.decided_by_id = staff_id
        row.decided_at = now
        row.final_value = chosen
    session.flush()
