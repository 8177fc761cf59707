"""Deadline policies as stored data: a bank adds its own and sets when silence closes a case.

A policy's rules never change once stored (registered complaints keep the
policy they started under, by code): a different rule is a new policy with a
new code. Only `close_after_days`, the bank's own practice, may be changed.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from manyi.complaints import clock
from manyi.complaints.access import Caller, audit_setting
from manyi.complaints.domain.model import OPEN_STATES
from manyi.complaints.domain.policies import policy_from_dict, policy_to_dict
from manyi.complaints.tables import Complaint, ComplaintPolicy
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import Permission

CLOSE_AFTER_MIN, CLOSE_AFTER_MAX = 1, 90


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


def _days(value: int) -> int:
    if not CLOSE_AFTER_MIN <= value <= CLOSE_AFTER_MAX:
        raise InvalidInput(
            "between {low} and {high} days",
            "close_after_days",
            low=CLOSE_AFTER_MIN,
            high=CLOSE_AFTER_MAX,
        )
    return value


def add_policy(
    session: Session, caller: Caller, definition: str, close_after_days: int
) -> ComplaintPolicy:
    """Store a policy written as JSON (the same shape as the presets; see docs/complaints.md)."""
    caller.need(Permission.COMPLAINTS_CONFIGURE)
    clock.ensure_policies(session)
    try:
        data = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise InvalidInput("not valid JSON: {reason}", "definition", reason=str(exc)) from None
    if not isinstance(data, dict):
        raise InvalidInput("the policy must be a JSON object", "definition")
    try:
        policy = policy_from_dict(data)
    except ValueError as exc:
        raise InvalidInput(
            "the policy is not valid: {reason}", "definition", reason=str(exc)
        ) from None
    if session.get(ComplaintPolicy, policy.code) is not None:
        raise Conflict(
            "a policy with code {code} exists; give the new rules a new code",
            "definition",
            code=policy.code,
        )
    row = ComplaintPolicy(
        code=policy.code,
        definition=policy_to_dict(policy),
        close_after_days=_days(close_after_days),
        is_default=False,
    )
    session.add(row)
    session.flush()
    audit_setting(
        session,
        caller,
        "complaint_policy",
        policy.code,
        "complaint.policy.add",
        limits=list(policy.limits),
    )
    return row


def set_close_after_days(session: Session, caller: Caller, code: str, days: int) -> ComplaintPolicy:
    caller.need(Permission.COMPLAINTS_CONFIGURE)
    clock.ensure_policies(session)
    row = session.get(ComplaintPolicy, code)
    if row is None:
        raise NotFound("there is no deadline policy {code}", code=code)
    before = row.close_after_days
    row.close_after_days = _days(days)
    audit_setting(
        session,
        caller,
        "complaint_policy",
        code,
        "complaint.policy.close_after",
        before=before,
        after=days,
    )
    return row


def set_default(session: Session, caller: Caller, code: str) -> None:
    """New complaints take the default; registered ones keep the policy they started under."""
    caller.need(Permission.COMPLAINTS_CONFIGURE)
    clock.ensure_policies(session)
    if session.get(ComplaintPolicy, code) is None:
        raise InvalidInput("there is no deadline policy {code}", "policy", code=code)
    session.execute(
        update(ComplaintPolicy)
        .values(is_default=ComplaintPolicy.code == code)
        .execution_options(synchronize_session=False)
    )
    audit_setting(session, caller, "complaint_policy", code, "complaint.policy.default")
