"""The case page's classification: the values with their names (machine-made ones marked
机器分类), the model's suggestions with their confidence and one-click accept, and the choices
of the classify form that are not the taxonomy's axes (the prominent-issue categories).

Suggestions and issue categories come from complaint intelligence through
`ports.classification()`; without it the page shows none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from manyi.complaints import categories, ports
from manyi.complaints.tables import Complaint
from manyi.complaints.web.common import category_label
from manyi.db import Session
from manyi.web.i18n import Translate

_AXIS_TARGETS = ("business", "cause", "appeal")


def target_labels(_: Translate) -> dict[str, str]:
    return {
        "business": _("Business type"),
        "cause": _("Cause"),
        "appeal": _("Appeal"),
        "product": _("Product"),
        "issue": _("Prominent issue"),
    }


@dataclass(frozen=True)
class SuggestionView:
    target: str
    target_label: str
    value: str
    label: str
    confidence_pct: int
    outcome: str
    open: bool  # may be accepted now (pending, or machine-made and not yet confirmed)
    model_version: int


def case_classification(
    session: Session, complaint: Complaint, lang: str, _: Translate
) -> dict[str, Any]:
    port = ports.classification()
    case = port.for_case(session, complaint.id)
    names = categories.names(session, lang)
    issue_options = port.issue_categories(session, lang)
    issue_names = dict(issue_options)
    labels = target_labels(_)

    def label(target: str, value: str | None) -> str:
        if not value:
            return ""
        if target in _AXIS_TARGETS:
            return category_label(names, target, value)
        if target == "issue":
            return issue_names.get(value, value)
        return value

    def value_of(target: str) -> str | None:
        return getattr(complaint, ports.column_of(target)) or None

    facts = [(_("Channel"), category_label(names, "channel", complaint.channel_code), False)]
    for target in ports.TARGETS:
        facts.append((labels[target], label(target, value_of(target)), target in case.machine_made))
    views = [
        SuggestionView(
            target=s.target,
            target_label=labels.get(s.target, s.target),
            value=s.value,
            label=label(s.target, s.value),
            # Floored: a model 99.7 % sure is shown as 99 %, never as a certainty.
            confidence_pct=math.floor(s.confidence * 100),
            outcome=s.outcome,
            open=s.outcome == "pending"
            or (s.outcome == "auto_applied" and s.target in case.machine_made),
            model_version=s.model_version,
        )
        for s in case.suggestions
    ]
    return {
        "classification": facts,
        "suggestions": views,
        "open_suggestions": sum(1 for v in views if v.open),
        "suggestion_problems": list(case.problems),
        "issue_options": issue_options,
    }


def outcome_labels(_: Translate) -> dict[str, str]:
    return {
        "pending": _("Suggested"),
        "accepted": _("Accepted"),
        "corrected": _("Corrected"),
        "auto_applied": _("Machine classification"),
    }
