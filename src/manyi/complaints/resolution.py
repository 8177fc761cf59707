"""Resolving a case: the decision and its reply, closing, reopening and withdrawal.

Each use case loads the case through `handling.load` (locked, the transition and the caller
checked), changes it, refreshes the regulatory clock (the decision and closing stop it, a
reopening starts a fresh period) and writes the timeline entry. A decision or a withdrawal
ends the case's open supervisions (督办). `accept_by_complainant` and `close_unanswered` are
the complainant's acceptance on the status page and the worker's close of a decided case
nobody answered.

A decision records whether the complaint is upheld (`Verdict`) and the kind of its root cause
(`RootCause`: person, process, product, system, policy), both required; in the same step it may
open a rectification task for the root cause or link the case to an existing task, through
`ports.rectification()` (supervision fills it). A refusal there refuses the whole decision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from manyi.complaints import clock, ports
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import (
    Action,
    CloseReason,
    ReplyChannel,
    RootCause,
    State,
    Verdict,
    next_state,
)
from manyi.complaints.handling import load, move_state, optional_text, required_text
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.complaints.timeline import record
from manyi.errors import InvalidInput


def _refresh(session: Session, complaint: Complaint, now: dt.datetime) -> None:
    row = clock.policy_row(session, complaint.policy_code)
    clock.refresh(
        complaint,
        clock.policy_of(row),
        now,
        clock.calendars(session),
        close_after_days=row.close_after_days,
    )


def resolve_supervisions(session: Session, complaint: Complaint, now: dt.datetime) -> None:
    """A decision or withdrawal ends every open supervision (督办) of the case."""
    session.execute(
        update(ComplaintSupervision)
        .where(
            ComplaintSupervision.complaint_id == complaint.id, ComplaintSupervision.state == "open"
        )
        .values(state="resolved", resolved_at=now)
        .execution_options(synchronize_session=False)
    )


def decide(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    decision: str,
    reply_channel: str,
    verdict: str,
    root_cause_kind: str,
    root_cause: str = "",
    rectification_ref: str = "",
    task: str = "",
    task_id: int | None = None,
) -> Complaint:
    """Record the decision, its verdict and root-cause kind, and that the reply went out
    through `reply_channel`; the clock stops. `task` "open" opens a rectification task for the
    root cause, "link" links task `task_id`; "" neither."""
    complaint = load(session, caller, complaint_id, Action.DECIDE)
    decision = required_text(decision, "decision")
    try:
        channel = ReplyChannel(reply_channel)
    except ValueError:
        raise InvalidInput("choose how the reply was sent", "reply_channel") from None
    try:
        found = Verdict(verdict)
    except ValueError:
        raise InvalidInput("say whether the complaint is upheld", "verdict") from None
    try:
        kind = RootCause(root_cause_kind)
    except ValueError:
        raise InvalidInput("choose the kind of root cause", "root_cause_kind") from None
    if task not in ("", "open", "link"):
        raise InvalidInput("choose what to do about a rectification task", "task")
    if task == "link" and task_id is None:
        raise InvalidInput("give the number of the task to link", "task_id")
    cause = optional_text(root_cause, "root_cause")
    ref = optional_text(rectification_ref, "rectification_ref", 64)
    before = move_state(complaint, Action.DECIDE)
    complaint.decision = decision
    complaint.reply_channel = channel.value
    complaint.decided_at = now
    complaint.verdict = found.value
    complaint.root_cause_kind = kind.value
    complaint.root_cause = cause
    linked = None
    port = ports.rectification()
    if task == "open":
        linked = port.open_for_complaint(
            session,
            caller.actor,
            caller.permissions,
            ports.RootCauseTask(
                reference=complaint.reference,
                issue_code=complaint.issue_code,
                root_cause_kind=kind.value,
                root_cause=cause,
                subject=complaint.subject,
                unit_id=complaint.responsible_unit_id,
            ),
            now,
        )
    elif task == "link":
        assert task_id is not None
        linked = port.link_task(session, caller.actor, caller.permissions, task_id, now)
    complaint.rectification_ref = f"#{linked.id}" if linked is not None else ref
    resolve_supervisions(session, complaint, now)
    _refresh(session, complaint, now)
    record(
        session,
        complaint,
        caller,
        Action.DECIDE,
        now,
        from_state=before,
        note=decision,
        data={
            "reply_channel": channel.value,
            "on_time": not complaint.breached,
            "verdict": found.value,
            "root_cause_kind": kind.value,
            **({"task_id": linked.id, "task": task} if linked is not None else {}),
        },
        public=True,
    )
    ports.tell_complainant(session, complaint, "decided", now)
    return complaint


def close(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    reason: str,
    note: str = "",
) -> Complaint:
    complaint = load(session, caller, complaint_id, Action.CLOSE)
    return _close(session, complaint, caller, now, reason=reason, note=note)


def _close(
    session: Session,
    complaint: Complaint,
    caller: Caller,
    now: dt.datetime,
    *,
    reason: str,
    note: str,
) -> Complaint:
    try:
        why = CloseReason(reason)
    except ValueError:
        raise InvalidInput("choose why the case closes", "reason") from None
    before = move_state(complaint, Action.CLOSE)
    complaint.closed_at = now
    complaint.close_reason = why.value
    _refresh(session, complaint, now)
    record(
        session,
        complaint,
        caller,
        Action.CLOSE,
        now,
        from_state=before,
        note=optional_text(note, "note"),
        data={"reason": why.value},
        public=True,
    )
    return complaint


def accept_by_complainant(
    session: Session, complaint: Complaint, caller: Caller, now: dt.datetime
) -> Complaint:
    """The complainant accepts the decision on the public status page."""
    next_state(State(complaint.state), Action.CLOSE)
    return _close(session, complaint, caller, now, reason=CloseReason.ACCEPTED.value, note="")


def close_unanswered(
    session: Session, complaint: Complaint, caller: Caller, now: dt.datetime
) -> Complaint:
    """The worker closes a decided case the complainant did not answer in time."""
    return _close(session, complaint, caller, now, reason=CloseReason.NO_ANSWER.value, note="")


def reopen(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, *, reason: str
) -> Complaint:
    """Back to investigating with a fresh regulatory period; the earlier breach stays recorded."""
    complaint = load(session, caller, complaint_id, Action.REOPEN)
    reason = required_text(reason, "reason")
    before = move_state(complaint, Action.REOPEN)
    complaint.reopen_count += 1
    complaint.clock_started_at = now
    complaint.deadline_stage = 0
    complaint.decided_at = None
    complaint.closed_at = None
    complaint.close_reason = None
    complaint.risk_notified = 0
    complaint.escalation_level = 0
    if complaint.handler_id is None:
        complaint.state = State.REGISTERED.value
    _refresh(session, complaint, now)
    record(
        session, complaint, caller, Action.REOPEN, now, from_state=before, note=reason, public=True
    )
    return complaint


def withdraw(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, *, note: str
) -> Complaint:
    """The complainant withdraws (撤诉): the process ends the day the bank receives it."""
    complaint = load(session, caller, complaint_id, Action.WITHDRAW)
    note = required_text(note, "note")
    before = move_state(complaint, Action.WITHDRAW)
    complaint.closed_at = now
    resolve_supervisions(session, complaint, now)
    _refresh(session, complaint, now)
    record(
        session, complaint, caller, Action.WITHDRAW, now, from_state=before, note=note, public=True
    )
    return complaint
