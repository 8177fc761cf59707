"""Rectification tasks (整改): where a task comes from, its states and who moves it, its due
date, when it is overdue, and the escalation ladder. Pure: `today`/`now` are arguments.

The life of a task:

    open ──start──▶ in progress ──submit (with evidence)──▶ submitted
                          ▲                                    │
                          └──start── sent back ◀──send back────┤ (the issuer, with a reason)
                                                               ▼
                                 closed ◀──close── verified (the issuer)

The responsible side (the owner, or staff of the responsible unit who rectify) starts and
submits; the issuing side (the issuer, or staff who issue tasks above the issuer's unit)
verifies, sends back and closes. Nobody verifies their own submission (maker ≠ checker).
A verified task may ask for a re-check (a re-inspection of the same item); while it is
pending the task cannot close; a failed re-check sends it back.

Due dates are local dates (the responsible unit's calendar day). A task is due at the end of
its due day: it is overdue from the next day on while the responsible side still holds it
(open, in progress, sent back). A submitted task waits for the issuer and is not overdue;
"closed on time" means its accepted evidence was submitted on or before the due day.

The escalation ladder, for a task due on Friday 10 (WARN_DAYS = 2, STEP_DAYS = 3):
Wednesday 8 the owner is warned (level 0); Saturday 11, overdue, the heads of the responsible
unit's parent (level 1); Tuesday 14 the next unit up (level 2); Friday 17 the next (level 3),
up to the head office. Each level happens once per task.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from manyi.errors import Conflict, Forbidden, InvalidInput, Term
from manyi.workdays.domain.calendar import WorkCalendar, add_workdays

WARN_DAYS = 2  # calendar days before the due day when the owner is reminded
STEP_DAYS = 3  # calendar days between one escalation level and the next
MAX_DUE_DAYS = 365
TITLE_MAX = 200
SOURCE_REF_MAX = 200
TEXT_MAX = 4000
REASON_MAX = 1000


class Source(enum.StrEnum):
    """Where a task comes from."""

    INSPECTION = "inspection"  # a failed scorecard item ("inspection:<visit id>:<item code>")
    COMPLAINT = "complaint"  # a complaint's root cause or a cluster (complaint reference(s))
    SURVEY_THEME = "survey_theme"  # a satisfaction comment theme (the theme)
    MISCONDUCT = "misconduct"  # a misconduct case ("misconduct:<case id>")
    # A prominent-issue category ("issue:<code>") or an emerging-issue alert ("alert:<id>
    # issue:<code>"), from complaint intelligence (insight). Any task whose reference carries
    # the token "issue:<code>" addresses that category (a complaint's task may carry it too).
    ISSUE = "issue"
    ALERT = "alert"
    MANUAL = "manual"


class TaskState(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    SENT_BACK = "sent_back"
    CLOSED = "closed"


class Action(enum.StrEnum):
    START = "start"
    SUBMIT = "submit"
    VERIFY = "verify"
    SEND_BACK = "send_back"
    CLOSE = "close"
    REQUEST_RECHECK = "request_recheck"


class Side(enum.StrEnum):
    """Who is acting on a task, as the rules see them."""

    RESPONSIBLE = "responsible"  # the owner or staff of the responsible unit who rectify
    ISSUER = "issuer"  # the issuer or staff who issue tasks above the issuer's unit


class Recheck(enum.StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


# The states in which the responsible side holds the task (and it can be overdue).
WITH_RESPONSIBLE = frozenset({TaskState.OPEN, TaskState.IN_PROGRESS, TaskState.SENT_BACK})
FINISHED = frozenset({TaskState.CLOSED})

# action -> (the states it starts from, the state it leads to, the side that takes it)
TRANSITIONS: dict[Action, tuple[frozenset[TaskState], TaskState, Side]] = {
    Action.START: (
        frozenset({TaskState.OPEN, TaskState.SENT_BACK}),
        TaskState.IN_PROGRESS,
        Side.RESPONSIBLE,
    ),
    Action.SUBMIT: (frozenset({TaskState.IN_PROGRESS}), TaskState.SUBMITTED, Side.RESPONSIBLE),
    Action.VERIFY: (frozenset({TaskState.SUBMITTED}), TaskState.VERIFIED, Side.ISSUER),
    Action.SEND_BACK: (frozenset({TaskState.SUBMITTED}), TaskState.SENT_BACK, Side.ISSUER),
    Action.CLOSE: (frozenset({TaskState.VERIFIED}), TaskState.CLOSED, Side.ISSUER),
    Action.REQUEST_RECHECK: (frozenset({TaskState.VERIFIED}), TaskState.VERIFIED, Side.ISSUER),
}


@dataclass(frozen=True)
class NewTask:
    source: Source
    source_ref: str
    title: str
    detail: str
    unit_id: int  # the responsible unit (must be in the issuer's scope)
    owner_id: int | None  # the responsible staff member (None: the unit's head)
    evidence_required: str  # what evidence must be submitted
    due_on: dt.date | None = None  # either a date …
    due_days: int | None = None  # … or a number of days from today,
    working_days: bool = True  # counted on the Chinese working-day calendar (or calendar days)


@dataclass(frozen=True)
class CleanTask:
    """A new task's text, checked and trimmed."""

    source: Source
    source_ref: str
    title: str
    detail: str
    evidence_required: str


def check_new(new: NewTask) -> CleanTask:
    """Refuse a task that cannot be worked: no title, no evidence named, text too long."""
    try:
        source = Source(new.source)
    except ValueError:
        raise InvalidInput("unknown source {source}", "source", source=str(new.source)) from None
    title = new.title.strip()
    if not title:
        raise InvalidInput("a task needs a title", "title")
    if len(title) > TITLE_MAX:
        raise InvalidInput("the title is longer than {max} characters", "title", max=TITLE_MAX)
    ref = new.source_ref.strip()
    if len(ref) > SOURCE_REF_MAX:
        raise InvalidInput(
            "the source reference is longer than {max} characters", "source_ref", max=SOURCE_REF_MAX
        )
    if source is not Source.MANUAL and not ref:
        raise InvalidInput(
            "a task from {source} needs its source reference",
            "source_ref",
            source=Term(f"source:{source.value}"),
        )
    evidence = new.evidence_required.strip()
    if not evidence:
        raise InvalidInput("say what evidence must be submitted", "evidence_required")
    detail = new.detail.strip()
    for name, text in (("detail", detail), ("evidence_required", evidence)):
        if len(text) > TEXT_MAX:
            raise InvalidInput("the text is longer than {max} characters", name, max=TEXT_MAX)
    return CleanTask(source, ref, title, detail, evidence)


def due_date(
    today: dt.date,
    calendar: WorkCalendar,
    *,
    due_on: dt.date | None,
    due_days: int | None,
    working_days: bool = True,
) -> dt.date:
    """The due day: a date given (today or later), or N working (or calendar) days after today.

    `due_days=5` on Monday 30 November 2026 in working days is Monday 7 December; five
    calendar days is Saturday 5 December. Over the National Day week the working days skip
    the holiday and count the make-up Saturday (调休) as the calendar says.
    """
    if (due_on is None) == (due_days is None):
        raise InvalidInput("give either a due date or a number of days", "due_on")
    if due_on is not None:
        if due_on < today:
            raise InvalidInput("the due date {date} has passed", "due_on", date=due_on.isoformat())
        if (due_on - today).days > MAX_DUE_DAYS:
            raise InvalidInput("a task is due within {max} days", "due_on", max=MAX_DUE_DAYS)
        return due_on
    assert due_days is not None
    if not 1 <= due_days <= MAX_DUE_DAYS:
        raise InvalidInput(
            "the number of days must be from 1 to {max}", "due_days", max=MAX_DUE_DAYS
        )
    if working_days:
        return add_workdays(calendar, today, due_days)
    return today + dt.timedelta(days=due_days)


def next_state(state: TaskState, action: Action, side: Side | None) -> TaskState:
    """The state after `action`, or a refusal naming why (wrong state, wrong side)."""
    starts, target, allowed = TRANSITIONS[action]
    if state not in starts:
        raise Conflict(
            "a task that is {state} cannot be given the action {action}",
            error_code="wrong_state",
            state=Term(f"task:{state.value}"),
            action=Term(f"action:{action.value}"),
        )
    if side is not allowed:
        raise Forbidden(
            "only the {side} side may {action} this task",
            error_code="wrong_side",
            side=Term(f"side:{allowed.value}"),
            action=Term(f"action:{action.value}"),
        )
    return target


def actions_for(state: TaskState, sides: frozenset[Side], recheck: Recheck | None) -> list[Action]:
    """What the viewer may do now, in the order the page shows the buttons."""
    found = []
    for action, (starts, _target, side) in TRANSITIONS.items():
        if state in starts and side in sides:
            if action is Action.CLOSE and recheck is Recheck.PENDING:
                continue
            if action is Action.REQUEST_RECHECK and recheck is not None:
                continue
            found.append(action)
    return found


def check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("say why the task is sent back", "reason")
    if len(text) > REASON_MAX:
        raise InvalidInput("the reason is longer than {max} characters", "reason", max=REASON_MAX)
    return text


def check_closable(recheck: Recheck | None) -> None:
    if recheck is Recheck.PENDING:
        raise Conflict(
            "a re-check is pending: close the task when its result is in",
            error_code="recheck_pending",
        )


def is_overdue(state: TaskState, due_on: dt.date, today: dt.date) -> bool:
    """Overdue from the day after the due day, while the responsible side holds the task."""
    return state in WITH_RESPONSIBLE and today > due_on


def on_time(submitted_on: dt.date | None, due_on: dt.date) -> bool:
    """Closed on time: the accepted evidence came on or before the due day."""
    return submitted_on is not None and submitted_on <= due_on


def ladder_level(due_on: dt.date, today: dt.date, *, step_days: int = STEP_DAYS) -> int:
    """How far up the ladder a task held by the responsible side should be today.

    0: not overdue (a warning may be due, see `warn_due`); 1 from the day after the due day;
    one more level every `step_days` after that.
    """
    late = (today - due_on).days
    if late <= 0:
        return 0
    return 1 + (late - 1) // step_days


def warn_due(due_on: dt.date, today: dt.date, *, warn_days: int = WARN_DAYS) -> bool:
    """Whether the owner should have been warned by today (and the task is not overdue yet)."""
    return due_on - dt.timedelta(days=warn_days) <= today <= due_on


def next_look(
    due_on: dt.date,
    today: dt.date,
    level: int,
    *,
    warned: bool,
    warn_days: int = WARN_DAYS,
    step_days: int = STEP_DAYS,
) -> dt.date:
    """The next local day on which the ladder may move (the worker looks again then)."""
    if today <= due_on:
        warn_on = due_on - dt.timedelta(days=warn_days)
        if not warned and today < warn_on:
            return warn_on
        return due_on + dt.timedelta(days=1)
    return due_on + dt.timedelta(days=1 + level * step_days)


def escalation_unit(unit_path: str, level: int) -> int | None:
    """The unit `level` steps above the responsible unit ("/1/4/9/", 1 → 4, 2 → 1, 3 → None)."""
    ids = [int(part) for part in unit_path.strip("/").split("/") if part]
    index = len(ids) - 1 - level
    if level < 1 or index < 0:
        return None
    return ids[index]


def summary_counts(
    rows: list[tuple[TaskState, dt.date, dt.date | None]], today: dt.date
) -> dict[str, int | float | None]:
    """Board figures from (state, due_on, submitted_on) rows: open, overdue, closed, closed on
    time and its share (None when nothing is closed)."""
    open_ = overdue = closed = in_time = 0
    for state, due_on, submitted_on in rows:
        if state is TaskState.CLOSED:
            closed += 1
            in_time += on_time(submitted_on, due_on)
        else:
            open_ += 1
            overdue += is_overdue(state, due_on, today)
    share = round(100 * in_time / closed, 1) if closed else None
    return {
        "open": open_,
        "overdue": overdue,
        "closed": closed,
        "closed_on_time": in_time,
        "on_time_pct": share,
    }
