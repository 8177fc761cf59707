"""What the classifier page shows: each target's versions with their evaluation, why an active
model is refused, how staff received its suggestions, and the auto-apply settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.insight import auto_apply, model_store
from manyi.insight.classifier_tables import ClassifierModel, ClassifierSuggestion
from manyi.insight.domain.suggesting import TARGETS


@dataclass(frozen=True)
class TargetOverview:
    target: str
    versions: list[ClassifierModel]  # newest first
    refused: str  # why the active version is not used, "" when it is
    outcomes: dict[str, int]  # suggestions by outcome
    setting: auto_apply.Setting

    @property
    def active(self) -> ClassifierModel | None:
        return next((v for v in self.versions if v.active), None)

    @property
    def acceptance_pct(self) -> int | None:
        """Of the suggestions staff decided, the share they accepted."""
        decided = self.outcomes.get("accepted", 0) + self.outcomes.get("corrected", 0)
        return round(100 * self.outcomes.get("accepted", 0) / decided) if decided else None


def overview(session: Session) -> list[TargetOverview]:
    counts: dict[str, dict[str, int]] = {t: {} for t in TARGETS}
    for target, outcome, n in session.execute(
        select(ClassifierSuggestion.target, ClassifierSuggestion.outcome, func.count()).group_by(
            ClassifierSuggestion.target, ClassifierSuggestion.outcome
        )
    ):
        counts.setdefault(target, {})[outcome] = int(n)
    settings = auto_apply.settings(session)
    found = []
    for target in TARGETS:
        versions = model_store.versions(session, target)
        active = next((v for v in versions if v.active), None)
        problem = model_store.mismatch(session, active) if active is not None else None
        found.append(
            TargetOverview(
                target=target,
                versions=versions,
                refused=problem.message() if problem is not None else "",
                outcomes=counts.get(target, {}),
                setting=settings[target],
            )
        )
    return found
