"""The prominent-issue tracker: each category's monthly counts against its target path
(`domain.targets`), within the viewer's data scope, with the rectification tasks that address
it and whether complaints fell after each one closed.

A task addresses a category when its source reference carries the token `issue:<code>`: tasks
opened from the tracker (source "issue"), from an emerging-issue alert (source "alert", ref
"alert:<id> issue:<code>") and from a complaint's decision (source "complaint", ref "<reference>
issue:<code>") all do. The before/after counts are the category's complaints in the task's
responsible unit (and below), 8 weeks either side of the day it closed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from manyi.insight import issue_cases, issues
from manyi.insight.domain.issues import IssueCategory
from manyi.insight.domain.targets import (
    BASELINE_MONTHS,
    BeforeAfter,
    Progress,
    add_months,
    before_after,
    month_of,
    progress,
)
from manyi.org.model import path_in_scope
from manyi.supervision import rectification
from manyi.supervision.rectification import TaskSummary

BANK_ZONE = ZoneInfo("Asia/Shanghai")  # the bank's calendar for "this month"
HISTORY_MONTHS = 12  # at least this many months shown before the current one
WINDOW_WEEKS = 8
_SEPARATORS = re.compile(r"[\s,;，；、]+")


def token(code: str) -> str:
    return f"issue:{code}"


@dataclass(frozen=True)
class TaskEffect:
    task: TaskSummary
    effect: BeforeAfter | None  # None while the task is not closed


@dataclass(frozen=True)
class Tracked:
    category: IssueCategory
    progress: Progress
    tasks: tuple[TaskEffect, ...]


def today_of(now: dt.datetime) -> dt.date:
    return now.astimezone(BANK_ZONE).date()


def _first_month(category: IssueCategory, today: dt.date) -> dt.date:
    first = add_months(month_of(today), -HISTORY_MONTHS)
    if category.starts_on is not None:
        first = min(first, add_months(month_of(category.starts_on), -BASELINE_MONTHS))
    return first


def _monthly(days: list[dt.date]) -> dict[dt.date, int]:
    return dict(Counter(month_of(d) for d in days))


def addressing(session: Session, code: str, scope_path: str, now: dt.datetime) -> list[TaskSummary]:
    """The tasks addressing the category whose responsible unit is in the scope (or, for a
    viewer below the task's unit, above it: a bank-wide task shows at every branch)."""
    found = rectification.tasks_mentioning(session, token(code), now=now)
    return [
        t
        for t in found
        if token(code) in _SEPARATORS.split(t.source_ref.strip())
        and (path_in_scope(scope_path, t.unit_path) or path_in_scope(t.unit_path, scope_path))
    ]


def overview(session: Session, scope_path: str, now: dt.datetime) -> list[Tracked]:
    """Every active category with its progress in the scope and its tasks (no before/after)."""
    today = today_of(now)
    cats = issues.categories(session)
    if not cats:
        return []
    first = min(_first_month(c, today) for c in cats)
    found = issue_cases.cases(
        session, scope_path, first, today + dt.timedelta(days=1), codes=[c.code for c in cats]
    )
    by_code: dict[str, list[dt.date]] = {}
    for case in found:
        by_code.setdefault(case.code, []).append(case.day)
    tracked = []
    for c in cats:
        counts = _monthly(by_code.get(c.code, []))
        tracked.append(
            Tracked(
                c,
                progress(
                    counts,
                    decline_pct=c.target_decline_pct,
                    starts_on=c.starts_on,
                    due_on=c.due_on,
                    today=today,
                    first=_first_month(c, today),
                ),
                tuple(TaskEffect(t, None) for t in addressing(session, c.code, scope_path, now)),
            )
        )
    return tracked


def detail(session: Session, scope_path: str, code: str, now: dt.datetime) -> Tracked:
    """One category: its progress in the scope, and each task with its before/after counts
    (the category's complaints in the task's unit, within the viewer's scope)."""
    today = today_of(now)
    category = issues.category(session, code)
    first = _first_month(category, today)
    tasks = addressing(session, code, scope_path, now)
    since = first
    for t in tasks:
        if t.closed_at is not None:
            since = min(since, today_of(t.closed_at) - dt.timedelta(weeks=WINDOW_WEEKS))
    found = issue_cases.cases(
        session, scope_path, since, today + dt.timedelta(days=1), codes=[code]
    )
    counts = _monthly([c.day for c in found if c.day >= first])
    effects = []
    for t in tasks:
        effect = None
        if t.closed_at is not None:
            days = [c.day for c in found if path_in_scope(t.unit_path, c.unit_path)]
            effect = before_after(days, today_of(t.closed_at), today, weeks=WINDOW_WEEKS)
        effects.append(TaskEffect(t, effect))
    return Tracked(
        category,
        progress(
            counts,
            decline_pct=category.target_decline_pct,
            starts_on=category.starts_on,
            due_on=category.due_on,
            today=today,
            first=first,
        ),
        tuple(effects),
    )
