"""Pending changes: propose, list, decide (approve, reject, withdraw), each step on the audit chain.

The owning feature checks who may act (a head-office administrator) and what the change is;
this module keeps the maker-checker rule (`domain.decide`) and the record. Approving returns
the change so the feature applies its payload in the same unit of work: if applying fails,
the approval is rolled back with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.approvals.domain import ChangeState, Decision, clean_reason, decide
from manyi.approvals.tables import PendingChange
from manyi.errors import Conflict, NotFound

# The audit verb of each step, after the owning feature's family (`complaint.policy.propose`).
VERBS = {
    Decision.APPROVE: "approve",
    Decision.REJECT: "reject",
    Decision.WITHDRAW: "withdraw",
}


def propose(
    session: Session,
    actor: audit.Actor,
    *,
    family: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    summary: dict[str, Any],
    reason: str = "",
    now: dt.datetime,
) -> PendingChange:
    """Store a change to wait for a second person; recorded as `<family>.propose`."""
    change = PendingChange(
        kind=kind,
        subject=subject,
        payload=payload,
        summary=summary,
        reason=clean_reason(reason),
        state=ChangeState.PENDING.value,
        proposed_by_id=actor.id,
        proposed_by=actor.name,
        proposed_at=now,
    )
    session.add(change)
    session.flush()
    _record(session, actor, change, f"{family}.propose", now, summary=summary)
    return change


def pending(session: Session, kinds: Sequence[str]) -> list[PendingChange]:
    """Changes of these kinds still waiting, oldest first."""
    return list(
        session.scalars(
            select(PendingChange)
            .where(PendingChange.kind.in_(kinds), PendingChange.state == ChangeState.PENDING)
            .order_by(PendingChange.id)
        )
    )


def decide_change(
    session: Session,
    actor: audit.Actor,
    change_id: int,
    decision: Decision,
    reason: str,
    *,
    family: str,
    kinds: Sequence[str],
    now: dt.datetime,
) -> PendingChange:
    """Approve, reject or withdraw one pending change of `kinds` (others are not found).

    The state moves with one filtered UPDATE (still pending), so of two checkers deciding at
    once one wins and the other is told it was already decided.
    """
    change = session.get(PendingChange, change_id)
    if change is None or change.kind not in kinds:
        raise NotFound("there is no pending change {id}", id=change_id)
    why = clean_reason(reason)
    outcome = decide(ChangeState(change.state), decision, change.proposed_by_id, actor.id, why)
    moved = session.execute(
        update(PendingChange)
        .where(PendingChange.id == change.id, PendingChange.state == ChangeState.PENDING)
        .values(
            state=outcome.value,
            decided_by_id=actor.id,
            decided_by=actor.name,
            decided_at=now,
            decision_reason=why,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        raise Conflict("someone else decided this change just now")
    session.refresh(change)
    _record(
        session,
        actor,
        change,
        f"{family}.{VERBS[decision]}",
        now,
        proposed_by=change.proposed_by,
        reason=why,
    )
    return change


def _record(
    session: Session,
    actor: audit.Actor,
    change: PendingChange,
    action: str,
    now: dt.datetime,
    **summary: Any,
) -> None:
    audit.record(
        session,
        actor,
        entity_type="pending_change",
        entity_id=change.id,
        action=action,
        summary={"change": change.id, "kind": change.kind, "subject": change.subject, **summary},
        unit_id=actor.unit_id,
        unit_path=actor.unit_path,
        now=now,
    )
