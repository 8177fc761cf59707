"""Extending the regulatory deadline, as the case's policy allows.

Each stage beyond the first needs what the policy's `ExtensionRule` says: a
reason, the complainant informed, and for some stages the approval of the
higher-level unit (CBIRC: the third stage, to 60 days). A stage without that
approval is granted when the handler records it; otherwise the request waits
for a complaint manager of a unit above the responsible one, who is never the
person who asked.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import clock
from manyi.complaints.access import Caller, get_visible
from manyi.complaints.domain.model import Action, State, ancestor_ids, next_state
from manyi.complaints.handling import check_may, load
from manyi.complaints.notices import staff_with_role, tell
from manyi.complaints.tables import Complaint, ComplaintExtension
from manyi.complaints.timeline import record
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org.model import Permission, Role, path_in_scope


def pending(session: Session, complaint_id: int) -> ComplaintExtension | None:
    return session.scalar(
        select(ComplaintExtension).where(
            ComplaintExtension.complaint_id == complaint_id, ComplaintExtension.state == "pending"
        )
    )


def request_extension(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    reason: str,
    complainant_informed: bool,
) -> ComplaintExtension:
    complaint = load(session, caller, complaint_id, Action.EXTEND)
    row = clock.policy_row(session, complaint.policy_code)
    policy = clock.policy_of(row)
    stage = complaint.deadline_stage + 1
    if stage >= len(policy.limits):
        raise Conflict(
            "the deadline cannot be extended any further under {policy}",
            "reason",
            policy=policy.code,
        )
    if pending(session, complaint.id) is not None:
        raise Conflict("an extension is already waiting for approval", "reason")
    rule = policy.extensions[stage - 1]
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise InvalidInput("give the reason for the extension", "reason")
    if len(reason) > 2000:
        raise InvalidInput("at most {max} characters", "reason", max=2000)
    if rule.needs_complainant_informed and not complainant_informed:
        raise InvalidInput(
            "the complainant must be told of the extension first", "complainant_informed"
        )
    parents = ancestor_ids(complaint.responsible_unit_path)[1:]
    if rule.needs_higher_approval and not parents:
        raise Conflict("the head office has no higher unit to approve this extension", "reason")
    extension = ComplaintExtension(
        complaint_id=complaint.id,
        stage=stage,
        round=complaint.reopen_count,
        reason=reason,
        complainant_informed=complainant_informed,
        state="pending" if rule.needs_higher_approval else "granted",
        requested_by_id=caller.staff_id,
        requested_at=now,
        approver_unit_id=parents[0] if rule.needs_higher_approval else None,
    )
    session.add(extension)
    session.flush()
    data = {"stage": stage, "days": policy.limits[stage], "state": extension.state}
    granted = not rule.needs_higher_approval
    if granted:
        extension.decided_at = now
        extension.decided_by_id = caller.staff_id
        _grant(session, complaint, stage, now)
    # The complainant sees an extension once it is granted, not while it waits for approval.
    record(
        session,
        complaint,
        caller,
        Action.EXTEND,
        now,
        from_state=complaint.state,
        note=reason,
        data=data,
        public=granted,
    )
    if not granted:
        _notify_approvers(session, complaint, parents[0], now, caller)
    return extension


def decide_extension(
    session: Session,
    caller: Caller,
    extension_id: int,
    now: dt.datetime,
    *,
    approve: bool,
    note: str = "",
) -> ComplaintExtension:
    """A complaint manager of the unit above approves or rejects a pending extension."""
    extension = session.get(ComplaintExtension, extension_id)
    if extension is None:
        raise NotFound("there is no extension request {id}", id=extension_id)
    complaint = get_visible(session, caller, extension.complaint_id, lock=True)
    action = Action.APPROVE_EXTENSION if approve else Action.REJECT_EXTENSION
    next_state(State(complaint.state), action)
    check_may(caller, complaint, action)
    if extension.state != "pending":
        raise Conflict("this extension request was already decided", "extension")
    if caller.staff_id is not None and caller.staff_id == extension.requested_by_id:
        raise Forbidden("you cannot approve your own extension request")
    if caller.unit_id is not None and caller.unit_id == complaint.responsible_unit_id:
        raise Forbidden("only a unit above the responsible unit can approve this extension")
    extension.state = "granted" if approve else "rejected"
    extension.decided_by_id = caller.staff_id
    extension.decided_at = now
    if approve:
        _grant(session, complaint, extension.stage, now)
    record(
        session,
        complaint,
        caller,
        action,
        now,
        from_state=complaint.state,
        note=note.strip()[:2000],
        data={"stage": extension.stage},
        public=approve,
    )
    return extension


def _grant(session: Session, complaint: Complaint, stage: int, now: dt.datetime) -> None:
    complaint.deadline_stage = stage
    complaint.risk_notified = 0
    row = clock.policy_row(session, complaint.policy_code)
    clock.refresh(
        complaint,
        clock.policy_of(row),
        now,
        clock.calendars(session),
        close_after_days=row.close_after_days,
    )


def _notify_approvers(
    session: Session, complaint: Complaint, unit_id: int, now: dt.datetime, caller: Caller
) -> None:
    tell(
        session,
        complaint,
        complaint_managers(session, unit_id),
        "Extension of complaint {reference} awaits your approval",
        now,
        created_by_id=caller.staff_id,
    )


def complaint_managers(session: Session, unit_id: int) -> list[int]:
    return staff_with_role(session, unit_id, Role.COMPLAINT_MANAGER)


def can_approve(caller: Caller, complaint: Complaint) -> bool:
    return (
        caller.can(Permission.COMPLAINTS_MANAGE)
        and path_in_scope(caller.scope_path, complaint.responsible_unit_path)
        and caller.unit_id != complaint.responsible_unit_id
    )
