"""Inspection visits: their kinds and states, and which step each state allows.

A visit is planned (by a plan, the spot-check sampler, a re-check or an inspector starting one
on the spot), in progress once the first answer is recorded, and submitted when the scorecard is
complete; a submitted visit is final (its score and findings feed tasks and league tables, so
they never change afterwards).
"""

from __future__ import annotations

import enum

from manyi.errors import Conflict, InvalidInput


class VisitKind(enum.StrEnum):
    SCHEDULED = "scheduled"  # 巡查
    SPOT = "spot"  # 抽查
    MYSTERY = "mystery"  # 暗访 (the shopper need not be staff)
    REMOTE = "remote"  # 远程督导


class VisitState(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


def kind_of(text: str) -> VisitKind:
    try:
        return VisitKind(text)
    except ValueError:
        raise InvalidInput(
            "the kind of visit is one of {kinds}", "kind", kinds=", ".join(VisitKind)
        ) from None


def check_open(state: str, visit_id: int) -> None:
    """Refuse a change to a submitted visit."""
    if VisitState(state) is VisitState.SUBMITTED:
        raise Conflict(
            "visit {id} is submitted: its scorecard no longer changes", "visit", id=visit_id
        )


def check_submitted(state: str, visit_id: int) -> None:
    """Refuse a step that needs the final findings (a task from a failed item)."""
    if VisitState(state) is not VisitState.SUBMITTED:
        raise Conflict(
            "visit {id} is not submitted yet: findings become tasks once it is",
            "visit",
            id=visit_id,
        )
