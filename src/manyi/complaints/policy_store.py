"""Deadline policies as stored data: a bank adds its own and sets when silence closes a case.

A policy's rules never change once stored (registered complaints keep the
policy they started under, by code): a different rule is a new policy with a
new code. Only `close_after_days`, the bank's own practice, may be changed.

Every change here is bank-wide and goes through maker-checker: a head-office administrator
proposes it (`propose_policy`, `propose_close_after`, `propose_default`, each checked now as it
would be applied), and it takes effect only when a different head-office administrator approves
it (`decide_change`), in the same unit of work as the approval.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from manyi.approvals import service as approvals
from manyi.approvals.domain import Decision
from manyi.approvals.tables import PendingChange
from manyi.complaints import clock
from manyi.complaints.access import Caller, audit_setting
from manyi.complaints.domain.model import OPEN_STATES
from manyi.complaints.domain.policies import DeadlinePolicy, policy_from_dict, policy_to_dict
from manyi.complaints.tables import Complaint, ComplaintPolicy
from manyi.db import utcnow
from manyi.errors import Conflict, InvalidInput, NotFound

CLOSE_AFTER_MIN, CLOSE_AFTER_MAX = 1, 90

FAMILY: Final = "complaint.policy"  # audit ids: complaint.policy.propose, .approve, …
ADD: Final = "complaint_policy.add"
CLOSE_AFTER: Final = "complaint_policy.close_after"
DEFAULT: Final = "complaint_policy.default"
KINDS: Final = (ADD, CLOSE_AFTER, DEFAULT)


def stored_policies(session: Session) -> list[ComplaintPolicy]:
    """Every policy, by code (the settings page): the presets too, stored or not yet."""
    unstored = clock.ensure_policies(session)
    stored = session.scalars(select(ComplaintPolicy).order_by(ComplaintPolicy.code))
    return sorted([*stored, *unstored], key=lambda row: row.code)


def open_cases_per_policy(session: Session) -> dict[str, int]:
    """How many open cases run under each policy code (codes without any are left out)."""
    rows = session.execute(
        select(Complaint.policy_code, func.count())
        .where(Complaint.state.in_([s.value for s in OPEN_STATES]))
        .group_by(Complaint.policy_code)
    ).all()
    return {code: int(n) for code, n in rows}


def pending_changes(session: Session) -> list[PendingChange]:
    """Proposed policy changes waiting for a second head-office administrator, oldest first."""
    return approvals.pending(session, KINDS)


def _days(value: int) -> int:
    if not CLOSE_AFTER_MIN <= value <= CLOSE_AFTER_MAX:
        raise InvalidInput(
            "between {low} and {high} days",
            "close_after_days",
            low=CLOSE_AFTER_MIN,
            high=CLOSE_AFTER_MAX,
        )
    return value


def _parse(definition: str) -> DeadlinePolicy:
    try:
        data = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise InvalidInput("not valid JSON: {reason}", "definition", reason=str(exc)) from None
    except RecursionError:
        raise InvalidInput(
            "not valid JSON: {reason}", "definition", reason="nested too deeply"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput("the policy must be a JSON object", "definition")
    try:
        return policy_from_dict(data)
    except ValueError as exc:
        raise InvalidInput(
            "the policy is not valid: {reason}", "definition", reason=str(exc)
        ) from None


def _new_code(session: Session, code: str) -> None:
    if session.get(ComplaintPolicy, code) is not None:
        raise Conflict(
            "a policy with code {code} exists; give the new rules a new code",
            "definition",
            code=code,
        )


def _existing(session: Session, code: str, field: str = "policy") -> ComplaintPolicy:
    row = session.get(ComplaintPolicy, code)
    if row is None:
        raise NotFound("there is no deadline policy {code}", field, code=code)
    return row


def _propose(
    session: Session,
    caller: Caller,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    summary: dict[str, Any],
    now: dt.datetime | None,
) -> PendingChange:
    return approvals.propose(
        session,
        caller.actor,
        family=FAMILY,
        kind=kind,
        subject=subject,
        payload=payload,
        summary=summary,
        now=now or utcnow(),
    )


def propose_policy(
    session: Session,
    caller: Caller,
    definition: str,
    close_after_days: int,
    now: dt.datetime | None = None,
) -> PendingChange:
    """Propose a policy written as JSON (the same shape as the presets; see docs/complaints.md)."""
    caller.need_bank_wide()
    clock.ensure_policies(session)
    policy = _parse(definition)
    _new_code(session, policy.code)
    days = _days(close_after_days)
    document = policy_to_dict(policy)
    return _propose(
        session,
        caller,
        ADD,
        policy.code,
        {"definition": document, "close_after_days": days},
        {"code": policy.code, "limits": list(policy.limits), "close_after_days": days},
        now,
    )


def propose_close_after(
    session: Session, caller: Caller, code: str, days: int, now: dt.datetime | None = None
) -> PendingChange:
    caller.need_bank_wide()
    clock.ensure_policies(session)
    row = _existing(session, code)
    after = _days(days)
    summary = {"code": code, "before": row.close_after_days, "after": after}
    return _propose(session, caller, CLOSE_AFTER, code, {"days": after}, summary, now)


def propose_default(
    session: Session, caller: Caller, code: str, now: dt.datetime | None = None
) -> PendingChange:
    """New complaints take the default; registered ones keep the policy they started under."""
    caller.need_bank_wide()
    clock.ensure_policies(session)
    if session.get(ComplaintPolicy, code) is None:
        raise InvalidInput("there is no deadline policy {code}", "policy", code=code)
    before = session.scalar(select(ComplaintPolicy.code).where(ComplaintPolicy.is_default))
    summary = {"before": before, "after": code}
    return _propose(session, caller, DEFAULT, code, {}, summary, now)


def decide_change(
    session: Session,
    caller: Caller,
    change_id: int,
    decision: Decision,
    reason: str = "",
    now: dt.datetime | None = None,
) -> PendingChange:
    """Approve (and apply), reject or withdraw a proposed policy change."""
    caller.need_bank_wide()
    change = approvals.decide_change(
        session,
        caller.actor,
        change_id,
        decision,
        reason,
        family=FAMILY,
        kinds=KINDS,
        now=now or utcnow(),
    )
    if decision is Decision.APPROVE:
        _apply(session, caller, change)
    return change


def _apply(session: Session, caller: Caller, change: PendingChange) -> None:
    """Make an approved change effective, checked again against what is stored now."""
    clock.ensure_policies(session)
    code, payload = change.subject, change.payload
    if change.kind == ADD:
        policy = policy_from_dict(payload["definition"])
        _new_code(session, policy.code)
        session.add(
            ComplaintPolicy(
                code=policy.code,
                definition=policy_to_dict(policy),
                close_after_days=_days(int(payload["close_after_days"])),
                is_default=False,
            )
        )
        session.flush()
        audit_setting(
            session,
            caller,
            "complaint_policy",
            code,
            "complaint.policy.add",
            limits=list(policy.limits),
            change=change.id,
            proposed_by=change.proposed_by,
        )
    elif change.kind == CLOSE_AFTER:
        row = _existing(session, code)
        before, row.close_after_days = row.close_after_days, _days(int(payload["days"]))
        audit_setting(
            session,
            caller,
            "complaint_policy",
            code,
            "complaint.policy.close_after",
            before=before,
            after=row.close_after_days,
            change=change.id,
            proposed_by=change.proposed_by,
        )
    else:
        _existing(session, code)
        session.execute(
            update(ComplaintPolicy)
            .values(is_default=ComplaintPolicy.code == code)
            .execution_options(synchronize_session=False)
        )
        audit_setting(
            session,
            caller,
            "complaint_policy",
            code,
            "complaint.policy.default",
            change=change.id,
            proposed_by=change.proposed_by,
        )
