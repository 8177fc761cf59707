"""A visit request's life: states, the transitions allowed, approvals and the two-staff team.

requested → approved (the outlet head; and the branch above when the amount is over the
threshold) or refused → scheduled (two staff assigned, a date agreed with the family) →
visited → closed; requested, approved and scheduled may be cancelled. Every transition is a
pure decision here; the services store it and audit it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from manyi.errors import Conflict, Forbidden, InvalidInput, Term

MIN_NOTICE = dt.timedelta(hours=1)  # a visit is agreed at least this long ahead
MAX_AHEAD = dt.timedelta(days=60)  # and at most this far


class State(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    SCHEDULED = "scheduled"
    VISITED = "visited"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    ASSIGN = "assign"
    SCHEDULE = "schedule"
    RECORD = "record"
    CLOSE = "close"
    CANCEL = "cancel"


STATES = tuple(s.value for s in State)
FINAL = frozenset({State.REFUSED, State.CLOSED, State.CANCELLED})

# action -> the states it may be taken in
ALLOWED: dict[Action, frozenset[State]] = {
    Action.APPROVE: frozenset({State.REQUESTED}),
    Action.REFUSE: frozenset({State.REQUESTED}),
    Action.ASSIGN: frozenset({State.APPROVED, State.SCHEDULED}),
    Action.SCHEDULE: frozenset({State.APPROVED, State.SCHEDULED}),
    Action.RECORD: frozenset({State.SCHEDULED, State.VISITED}),
    Action.CLOSE: frozenset({State.VISITED}),
    Action.CANCEL: frozenset({State.REQUESTED, State.APPROVED, State.SCHEDULED}),
}


def check_action(state: State, action: Action) -> None:
    """Refuse an action the request's state does not allow, naming both."""
    if state not in ALLOWED[action]:
        raise Conflict(
            "a {state} visit cannot {action}",
            "state",
            error_code="visit_state",
            state=Term(f"visit:{state.value}"),
            action=Term(f"visit_action:{action.value}"),
        )


def check_reason(text: str, field: str = "reason_text") -> str:
    """A refusal or cancellation always says why."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("say why", field)
    if len(cleaned) > 500:
        raise InvalidInput("at most {n} characters", field, n=500)
    return cleaned


# --- approvals ---------------------------------------------------------------------------


class Level(StrEnum):
    OUTLET = "outlet"
    BRANCH = "branch"


@dataclass(frozen=True)
class Approvals:
    needs_branch: bool
    outlet_by: int | None = None
    branch_by: int | None = None

    @property
    def complete(self) -> bool:
        return self.outlet_by is not None and (not self.needs_branch or self.branch_by is not None)


def approve(
    approvals: Approvals,
    approver_id: int,
    requester_id: int,
    approver_path: str,
    outlet_path: str,
) -> Approvals:
    """One approval: by the outlet's head (at the outlet itself) or, when the amount is over
    the threshold, by the branch above (a unit whose path contains the outlet's). The one who
    asked for the visit never approves it, so the requester is never the only approver."""
    if approver_id == requester_id:
        raise Forbidden(
            "the one who asked for the visit cannot approve it", "approver", error_code="own"
        )
    if approver_path == outlet_path:
        if approvals.outlet_by is not None:
            raise Conflict("the outlet has approved already", "approver")
        return Approvals(approvals.needs_branch, approver_id, approvals.branch_by)
    if outlet_path.startswith(approver_path):
        if not approvals.needs_branch:
            raise Conflict("this visit needs no branch approval; the outlet head approves it")
        if approvals.branch_by is not None:
            raise Conflict("the branch has approved already", "approver")
        if approvals.outlet_by == approver_id:
            raise Forbidden("the branch approval must come from another person", "approver")
        return Approvals(approvals.needs_branch, approvals.outlet_by, approver_id)
    raise Forbidden("only the outlet's head or the branch above approves", "approver")


# --- the team ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    staff_id: int
    active: bool
    unit_path: str


def parent_path(path: str) -> str:
    """`/1/4/9/` → `/1/4/`: the unit directly above."""
    parts = [p for p in path.split("/") if p]
    return "/" + "".join(p + "/" for p in parts[:-1]) if len(parts) > 1 else path


def check_team(members: Sequence[Member], outlet_path: str) -> tuple[int, int]:
    """Two distinct active staff of the outlet or the branch directly above it; never one."""
    if len(members) < 2:
        raise InvalidInput("a visit needs two staff, never one", "staff")
    if len(members) > 2:
        raise InvalidInput("assign exactly two staff", "staff")
    first, second = members
    if first.staff_id == second.staff_id:
        raise InvalidInput("the two staff must be two different people", "staff")
    for member in members:
        if not member.active:
            raise InvalidInput("an inactive staff member cannot visit", "staff")
        if member.unit_path not in (outlet_path, parent_path(outlet_path)):
            raise InvalidInput("the staff must belong to the outlet or its branch", "staff")
    return first.staff_id, second.staff_id


def check_date(visit_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The date agreed with the family: not in the past, not within the hour, within 60 days."""
    if visit_at.tzinfo is None:
        raise InvalidInput("the visit time needs a time zone", "visit_at")
    if visit_at < now + MIN_NOTICE:
        raise InvalidInput("the visit date is in the past or within the hour", "visit_at")
    if visit_at > now + MAX_AHEAD:
        raise InvalidInput("a visit is agreed at most {days} days ahead", "visit_at", days=60)
    return visit_at


@dataclass(frozen=True)
class Times:
    """The request's times, as the list shows them (None: not reached yet)."""

    to_approval: dt.timedelta | None
    to_visit: dt.timedelta | None


def times(
    requested_at: dt.datetime, approved_at: dt.datetime | None, visited_at: dt.datetime | None
) -> Times:
    return Times(
        approved_at - requested_at if approved_at else None,
        visited_at - requested_at if visited_at else None,
    )


def hours(delta: dt.timedelta | None) -> str:
    """A duration for the list: hours with one decimal, or "–"."""
    if delta is None:
        return "–"
    return f"{delta.total_seconds() / 3600:.1f}"
