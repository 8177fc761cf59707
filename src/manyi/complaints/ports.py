"""What the complaint pages ask of other features, as ports they plug into at start-up.

Complaints import no feature above them. Supervision opens rectification tasks (整改) from a
complaint's root cause; the case page shows the tasks already opened from the case, with their
state and whether they are overdue, so nobody opens a second one by mistake. Supervision offers
them by registering an adapter here (`manyi.supervision.complaints_adapters`, registered by the
application: `manyi.web.app.plug_features`). Without one, the page shows none.

A decision may also open a rectification task for the root cause, or link the case to an
existing task, in the same unit of work (`open_for_complaint`, `link_task`): a refusal from
supervision rolls the whole decision back. Without an adapter both are refused.

The case page also shows the customer's answer to the handling-satisfaction survey (回访) that
quality sends when a case closes (`FollowUpPort`); quality answers it through the application,
since complaints and quality are independent of each other.

Adding a port: a Protocol here, a `register_…` function, and the page calling the registered
adapter where it needs it; the providing feature implements the Protocol (as `lobby.ports`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict
from manyi.org.model import Permission


@dataclass(frozen=True)
class SourceTask:
    """A rectification task opened from a complaint, as the case page lists it."""

    id: int
    title: str
    state: str  # open, in_progress, submitted, verified, sent_back, closed
    unit_name: str
    due_on: dt.date
    overdue: bool
    url: str


@dataclass(frozen=True)
class RootCauseTask:
    """A task to open from a decision: the root cause found in the case, for its unit."""

    reference: str  # the complaint's
    issue_code: str | None  # its prominent-issue category, if filed under one
    root_cause_kind: str  # person, process, product, system, policy
    root_cause: str  # the handler's account of the root cause
    subject: str
    unit_id: int  # the complaint's responsible unit
    due_days: int = 10  # working days


class RectificationPort(Protocol):
    def tasks_for_complaint(
        self, session: Session, reference: str, now: dt.datetime
    ) -> list[SourceTask]:
        """The tasks opened from the complaint with this reference, oldest first."""

    def open_for_complaint(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task: RootCauseTask,
        now: dt.datetime,
    ) -> SourceTask:
        """Open a task for the root cause (refused without the permission to issue tasks)."""

    def link_task(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task_id: int,
        now: dt.datetime,
    ) -> SourceTask:
        """The existing task `task_id`, if the actor may see it (else "not found")."""


class _NoRectification:
    def tasks_for_complaint(
        self, session: Session, reference: str, now: dt.datetime
    ) -> list[SourceTask]:
        return []

    def open_for_complaint(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task: RootCauseTask,
        now: dt.datetime,
    ) -> SourceTask:
        raise Conflict("rectification tasks are not available here", "task_mode")

    def link_task(
        self,
        session: Session,
        actor: audit.Actor,
        permissions: frozenset[Permission],
        task_id: int,
        now: dt.datetime,
    ) -> SourceTask:
        raise Conflict("rectification tasks are not available here", "task_mode")


_rectification: RectificationPort = _NoRectification()


def register_rectification(adapter: RectificationPort) -> None:
    global _rectification
    _rectification = adapter


def rectification() -> RectificationPort:
    return _rectification


# --- 回访: the customer's answer to the satisfaction survey sent when the case closed ---------


@dataclass(frozen=True)
class FollowUp:
    """The handling-satisfaction survey (回访) of a closed complaint, as its case page shows it.

    `state`: `invited` (sent, not answered yet), `answered`, `expired` (not answered in time).
    """

    state: str
    invited_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None = None
    csat: int | None = None  # 1–5
    resolved: str | None = None  # the survey's option id: yes, partly, no
    comment: str | None = None


class FollowUpPort(Protocol):
    def follow_up(self, session: Session, complaint_id: int, now: dt.datetime) -> FollowUp | None:
        """The 回访 of the complaint, or None when none was sent (open, or not sampled)."""


class _NoFollowUp:
    def follow_up(self, session: Session, complaint_id: int, now: dt.datetime) -> FollowUp | None:
        return None


_follow_up: FollowUpPort = _NoFollowUp()


def register_follow_up(adapter: FollowUpPort) -> None:
    """Quality's surveys answer it, wired by the application (`manyi.web.app.plug_features`):
    complaints and quality do not import each other."""
    global _follow_up
    _follow_up = adapter


def follow_up() -> FollowUpPort:
    return _follow_up
