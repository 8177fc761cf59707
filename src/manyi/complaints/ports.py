"""What the complaint pages ask of other features, as ports they plug into at start-up.

Complaints import no feature above them. Supervision opens rectification tasks (整改) from a
complaint's root cause; the case page shows the tasks already opened from the case, with their
state and whether they are overdue, so nobody opens a second one by mistake. Supervision offers
them by registering an adapter here (`manyi.supervision.complaints_adapters`, registered by the
application: `manyi.web.wiring.plug_features`). Without one, the page shows none.

A decision may also open a rectification task for the root cause, or link the case to an
existing task, in the same unit of work (`open_for_complaint`, `link_task`): a refusal from
supervision rolls the whole decision back. Without an adapter both are refused.

The case page also shows the customer's answer to the handling-satisfaction survey (回访) that
quality sends when a case closes (`FollowUpPort`); quality answers it through the application,
since complaints and quality are independent of each other.
Complaint intelligence classifies: `ClassificationPort` makes suggestions when a complaint is
registered, lists them on the case page, hears staff's decisions and offers the prominent-issue
categories (`manyi.insight.complaints_adapters`, registered by `plug_features` and `manyi.cli`).
Without one, no suggestions are made and the classify form has no prominent-issue choice.

Adding a port: a Protocol here, a `register_…` function, and the page calling the registered
adapter where it needs it; the providing feature implements the Protocol (as `lobby.ports`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict
from manyi.org.model import Permission

if TYPE_CHECKING:
    from manyi.complaints.tables import Complaint


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
    """Quality's surveys answer it, wired by the application (`manyi.web.wiring.plug_features`):
    complaints and quality do not import each other."""
    global _follow_up
    _follow_up = adapter


def follow_up() -> FollowUpPort:
    return _follow_up


# Classification by a trained model (complaint intelligence, `manyi.insight`): every new
# complaint gets suggested values, the handler accepts or corrects them, and the bank may let
# confident ones be applied at once. Complaints keep the values and the timeline; insight keeps
# the models, the suggestions and their outcomes, and the prominent-issue categories.

TARGETS = ("business", "cause", "appeal", "product", "issue")
"""What a model suggests: the three JR/T 0169-2018 axes, the product (free text) and the
prominent-issue category; each is the complaint column `<target>_code` (`product` for the
product)."""


def column_of(target: str) -> str:
    return "product" if target == "product" else f"{target}_code"


@dataclass(frozen=True)
class Suggestion:
    """A suggested value on one target, as the case page shows it."""

    target: str  # one of TARGETS
    value: str
    confidence: float  # 0..1
    model_version: int
    outcome: str  # pending, accepted, corrected, auto_applied
    decided_by: str = ""  # who accepted or corrected it


@dataclass(frozen=True)
class CaseSuggestions:
    suggestions: tuple[Suggestion, ...] = ()
    # Targets whose value on the case was applied by a model and not yet confirmed (机器分类).
    machine_made: frozenset[str] = frozenset()
    # Why a target has no suggestion although a model was trained (e.g. a model refused because
    # its labels no longer match the taxonomy), for the page to say.
    problems: tuple[str, ...] = ()


class ClassificationPort(Protocol):
    def issue_categories(self, session: Session, lang: str) -> list[tuple[str, str]]:
        """The active prominent-issue categories as (code, name), in their order."""

    def after_registered(self, session: Session, complaint_id: int, now: dt.datetime) -> None:
        """A complaint was registered (staff form, public form) in this unit of work: suggest
        values, and apply the confident ones where the bank enabled it. Never raises."""

    def for_case(self, session: Session, complaint_id: int) -> CaseSuggestions:
        """The suggestions on a case and which of its values are machine-made."""

    def classified(
        self,
        session: Session,
        complaint_id: int,
        values: dict[str, str | None],
        staff_id: int | None,
        now: dt.datetime,
    ) -> None:
        """Staff set these targets' values (the classify form, or accepting a suggestion): the
        open suggestions on them are accepted or corrected, and the values are staff's now."""


class _NoClassification:
    def issue_categories(self, session: Session, lang: str) -> list[tuple[str, str]]:
        return []

    def after_registered(self, session: Session, complaint_id: int, now: dt.datetime) -> None:
        return None

    def for_case(self, session: Session, complaint_id: int) -> CaseSuggestions:
        return CaseSuggestions()

    def classified(
        self,
        session: Session,
        complaint_id: int,
        values: dict[str, str | None],
        staff_id: int | None,
        now: dt.datetime,
    ) -> None:
        return None


_classification: ClassificationPort = _NoClassification()


def register_classification(adapter: ClassificationPort) -> None:
    global _classification
    _classification = adapter


def classification() -> ClassificationPort:
    return _classification


# --- messages to the complainant (customer reach) ----------------------------------------


@dataclass(frozen=True)
class CustomerNotice:
    """News of a case for the complainant: `received` (with the answer's due time),
    `decided` (read the answer and accept or dispute it on the status page) or
    `needs_answer` (the decision will close unanswered soon)."""

    kind: str
    complaint_id: int
    reference: str
    phone: str
    person_key: str | None
    unit_id: int
    due_at: dt.datetime | None
    timezone: str


class CustomerNoticePort(Protocol):
    def agree(self, session: Session, phone: str, lang: str, now: dt.datetime) -> None:
        """The complainant ticked "tell me by text message" on the public form."""

    def notice(self, session: Session, notice: CustomerNotice, now: dt.datetime) -> None:
        """Tell the complainant, if they agreed (in the caller's unit of work)."""


class _NoNotices:
    def agree(self, session: Session, phone: str, lang: str, now: dt.datetime) -> None:
        return None

    def notice(self, session: Session, notice: CustomerNotice, now: dt.datetime) -> None:
        return None


_notices: CustomerNoticePort = _NoNotices()


def register_customer_notices(adapter: CustomerNoticePort) -> None:
    """Customer reach answers it, wired by the composition roots."""
    global _notices
    _notices = adapter


def customer_notices() -> CustomerNoticePort:
    return _notices


def tell_complainant(session: Session, complaint: Complaint, kind: str, now: dt.datetime) -> None:
    """Send `kind` news of this case to its complainant through the port (a phone needed)."""
    if not complaint.complainant_phone:
        return
    _notices.notice(
        session,
        CustomerNotice(
            kind=kind,
            complaint_id=complaint.id,
            reference=complaint.reference,
            phone=complaint.complainant_phone,
            person_key=complaint.person_key,
            unit_id=complaint.responsible_unit_id,
            due_at=complaint.due_at,
            timezone=complaint.timezone,
        ),
        now,
    )
