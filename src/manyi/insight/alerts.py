"""Emerging-issue alerts for their page: the alerts in the viewer's scope, newest week first,
with the cases behind each, the tasks proposed from it, and the prefilled task to propose.

"Propose rectification" opens supervision's new-task form prefilled: source "alert", reference
"alert:<id> issue:<code>" (so the tracker counts the task against its category), the alert's
unit responsible (its head the owner by default), a title naming the category, unit and week,
and the cases' references in the detail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.errors import NotFound
from manyi.insight import issue_cases, issues
from manyi.insight.domain.issues import IssueCategory
from manyi.insight.tables import IssueAlert
from manyi.insight.tracker import token
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import Source
from manyi.supervision.rectification import TaskSummary

LIMIT = 200


@dataclass(frozen=True)
class CaseLine:
    id: int
    reference: str
    subject: str


@dataclass(frozen=True)
class AlertView:
    id: int
    category: IssueCategory | None
    category_code: str
    unit_id: int
    unit_name: str
    week: dt.date
    count: int
    expected: float
    p_value: float
    method: str
    cases: tuple[CaseLine, ...]
    tasks: tuple[TaskSummary, ...]

    def expected_text(self) -> str:
        """The expected count as people read it: 0.04, 1.3, 12."""
        return f"{self.expected:.2f}" if self.expected < 1 else f"{self.expected:.1f}"

    def reference(self) -> str:
        return f"alert:{self.id} {token(self.category_code)}"


def _ref_prefix(alert_id: int) -> str:
    return f"alert:{alert_id} "


def listing(
    session: Session,
    scope_path: str,
    now: dt.datetime,
    *,
    alert_id: int | None = None,
    lang: str = "zh",
) -> list[AlertView]:
    """The alerts whose unit is in the scope (newest week first), or the one with `alert_id`."""
    query = (
        select(IssueAlert, Unit)
        .join(Unit, Unit.id == IssueAlert.unit_id)
        .where(in_scope(IssueAlert.unit_path, scope_path))
        .order_by(IssueAlert.week.desc(), IssueAlert.id.desc())
        .limit(LIMIT)
    )
    if alert_id is not None:
        query = query.where(IssueAlert.id == alert_id)
    cats = {c.code: c for c in issues.categories(session, active_only=False)}
    found = []
    for alert, unit in session.execute(query):
        lines = issue_cases.references(session, list(alert.case_ids or []), scope_path)
        found.append(
            AlertView(
                id=alert.id,
                category=cats.get(alert.category_code),
                category_code=alert.category_code,
                unit_id=unit.id,
                unit_name=unit.name_en if lang == "en" and unit.name_en else unit.name_zh,
                week=alert.week,
                count=alert.count,
                expected=alert.expected,
                p_value=alert.p_value,
                method=alert.method,
                cases=tuple(CaseLine(*line) for line in lines),
                tasks=tuple(
                    rectification.tasks_for_source(
                        session, Source.ALERT, _ref_prefix(alert.id), now=now
                    )
                ),
            )
        )
    return found


def one(session: Session, scope_path: str, alert_id: int, now: dt.datetime) -> AlertView:
    found = listing(session, scope_path, now, alert_id=alert_id)
    if not found:
        raise NotFound("there is no alert {id} in your scope", "alert", id=alert_id)
    return found[0]


def proposal(view: AlertView, lang: str) -> dict[str, str]:
    """The new-task form's query parameters for "propose rectification"."""
    name = view.category.name(lang) if view.category else view.category_code
    week = view.week.isoformat()
    if lang == "en":
        title = f"Emerging issue: {name} at {view.unit_name}, week of {week}"
        detail = (
            f"{view.count} complaints in the week of {week} against {view.expected_text()} "
            f"expected. Cases: " + ", ".join(c.reference for c in view.cases)
        )
        evidence = "The cause found, the measures taken and proof they are in place"
    else:
        title = f"新发问题：{view.unit_name}「{name}」（{week} 当周）"
        detail = (
            f"{week} 当周投诉 {view.count} 件，基线预期 {view.expected_text()} 件。涉及投诉："
            + "、".join(c.reference for c in view.cases)
        )
        evidence = "查明的原因、采取的整改措施及落实证明"
    return {
        "source": Source.ALERT.value,
        "ref": view.reference(),
        "unit": str(view.unit_id),
        "title": title[:200],
        "detail": detail[:4000],
        "evidence": evidence,
        "due_kind": "working",
        "due_days": "10",
    }
