"""Working a case: every action of the workflow as one use case.

Each function loads the case the caller may see (locked), checks the
transition (`model.next_state`) and who may do it (`model.may`), changes it,
writes the timeline entry and the audit event, and refreshes the clock.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from manyi.complaints import clock
from manyi.complaints.access import Caller, get_visible
from manyi.complaints.domain.model import Action, CloseReason, ReplyChannel, State, may, next_state
from manyi.complaints.routing import auto_assign, recused
from manyi.complaints.tables import Complaint, ComplaintNamedStaff, ComplaintSupervision
from manyi.complaints.timeline import record
from manyi.errors import Forbidden, InvalidInput
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Unit

TEXT_MAX = 5000


def _required(text: str, field: str, limit: int = TEXT_MAX) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("this field is required", field)
    if len(text) > limit:
        raise InvalidInput("at most {max} characters", field, max=limit)
    return text


def _optional(text: str, field: str, limit: int = TEXT_MAX) -> str:
    text = text.strip()
    if len(text) > limit:
        raise InvalidInput("at most {max} characters", field, max=limit)
    return text


def is_manager(caller: Caller, complaint: Complaint) -> bool:
    return caller.can(Permission.COMPLAINTS_MANAGE) and path_in_scope(
        caller.scope_path, complaint.responsible_unit_path
    )


def is_handler(caller: Caller, complaint: Complaint) -> bool:
    return (
        caller.staff_id is not None
        and caller.staff_id == complaint.handler_id
        and caller.can(Permission.COMPLAINTS_HANDLE)
    )


def check_may(caller: Caller, complaint: Complaint, action: Action) -> None:
    if not may(
        action, is_handler=is_handler(caller, complaint), is_manager=is_manager(caller, complaint)
    ):
        raise Forbidden("you may not {action} this complaint", action=action.value)


def load(session: Session, caller: Caller, complaint_id: int, action: Action) -> Complaint:
    """The case, locked, with the action checked against its state and the caller."""
    complaint = get_visible(session, caller, complaint_id, lock=True)
    next_state(State(complaint.state), action)  # raises TransitionError
    check_may(caller, complaint, action)
    return complaint


def _move(complaint: Complaint, action: Action) -> str:
    before = complaint.state
    complaint.state = next_state(State(before), action).value
    return before


def _refresh(session: Session, complaint: Complaint, now: dt.datetime) -> None:
    row = clock.policy_row(session, complaint.policy_code)
    clock.refresh(complaint, clock.policy_of(row), now, close_after_days=row.close_after_days)


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


def start(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, note: str = ""
) -> Complaint:
    complaint = load(session, caller, complaint_id, Action.START)
    before = _move(complaint, Action.START)
    record(
        session,
        complaint,
        caller,
        Action.START,
        now,
        from_state=before,
        note=_optional(note, "note"),
        public=True,
    )
    return complaint


def decide(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    decision: str,
    reply_channel: str,
    root_cause: str = "",
    rectification_ref: str = "",
) -> Complaint:
    """Record the decision and that the reply went out through `reply_channel`; the clock stops."""
    complaint = load(session, caller, complaint_id, Action.DECIDE)
    decision = _required(decision, "decision")
    try:
        channel = ReplyChannel(reply_channel)
    except ValueError:
        raise InvalidInput("choose how the reply was sent", "reply_channel") from None
    before = _move(complaint, Action.DECIDE)
    complaint.decision = decision
    complaint.reply_channel = channel.value
    complaint.decided_at = now
    complaint.root_cause = _optional(root_cause, "root_cause")
    complaint.rectification_ref = _optional(rectification_ref, "rectification_ref", 64)
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
        data={"reply_channel": channel.value, "on_time": not complaint.breached},
        public=True,
    )
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
    before = _move(complaint, Action.CLOSE)
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
        note=_optional(note, "note"),
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
    reason = _required(reason, "reason")
    before = _move(complaint, Action.REOPEN)
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
    note = _required(note, "note")
    before = _move(complaint, Action.WITHDRAW)
    complaint.closed_at = now
    resolve_supervisions(session, complaint, now)
    _refresh(session, complaint, now)
    record(
        session, complaint, caller, Action.WITHDRAW, now, from_state=before, note=note, public=True
    )
    return complaint


def transfer(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    unit_id: int,
    note: str,
) -> Complaint:
    """Hand the case to another responsible unit; it is routed again there. The clock runs on."""
    complaint = load(session, caller, complaint_id, Action.TRANSFER)
    note = _required(note, "note")
    target = session.get(Unit, unit_id)
    if target is None or not target.active:
        raise InvalidInput("there is no active unit {id}", "unit_id", id=unit_id)
    if target.id == complaint.responsible_unit_id:
        raise InvalidInput("the case is already with this unit", "unit_id")
    before = _move(complaint, Action.TRANSFER)
    from_unit = complaint.responsible_unit_id
    complaint.responsible_unit_id = target.id
    complaint.responsible_unit_path = target.path
    complaint.handler_id = None
    record(
        session,
        complaint,
        caller,
        Action.TRANSFER,
        now,
        from_state=before,
        note=note,
        data={"from_unit_id": from_unit, "to_unit_id": target.id},
    )
    auto_assign(session, complaint, caller, now)
    return complaint


def declare_conflict(
    session: Session, caller: Caller, complaint_id: int, now: dt.datetime, *, reason: str
) -> Complaint:
    """The handler steps aside (回避); the case is routed to someone else."""
    complaint = load(session, caller, complaint_id, Action.DECLARE_CONFLICT)
    reason = _required(reason, "reason")
    assert caller.staff_id is not None
    if caller.staff_id not in recused(session, complaint.id):
        session.add(
            ComplaintNamedStaff(
                complaint_id=complaint.id, staff_id=caller.staff_id, reason="conflict"
            )
        )
    before = _move(complaint, Action.DECLARE_CONFLICT)
    complaint.handler_id = None
    record(session, complaint, caller, Action.DECLARE_CONFLICT, now, from_state=before, note=reason)
    session.flush()
    auto_assign(session, complaint, caller, now)
    return complaint


def reassign(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    handler_id: int,
    note: str = "",
) -> Complaint:
    from manyi.complaints.routing import assign

    complaint = load(session, caller, complaint_id, Action.ASSIGN)
    assign(session, complaint, caller, handler_id, now, note=_optional(note, "note"))
    return complaint


def add_note(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    text: str,
    public: bool = False,
) -> Complaint:
    complaint = load(session, caller, complaint_id, Action.NOTE)
    record(
        session,
        complaint,
        caller,
        Action.NOTE,
        now,
        from_state=complaint.state,
        note=_required(text, "text"),
        public=public,
    )
    return complaint


def classify(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    *,
    channel_code: str,
    business_code: str,
    cause_code: str,
    flags: list[str],
) -> Complaint:
    """Set or correct the classification (a public-form complaint arrives without one).

    The flags the system sets itself stay: a repeat complainant, and what the
    channel implies (media risk, regulator referral).
    """
    from manyi.complaints.categories import check_code
    from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, department_for
    from manyi.complaints.intake import IMPLIED_FLAGS

    complaint = load(session, caller, complaint_id, Action.CLASSIFY)
    codes = {
        "channel_code": check_code(session, Axis.CHANNEL, channel_code, "channel_code"),
        "business_code": check_code(session, Axis.BUSINESS, business_code, "business_code"),
        "cause_code": check_code(session, Axis.CAUSE, cause_code, "cause_code"),
    }
    chosen: list[str] = []
    for value in flags:
        try:
            flag = Flag(value)
        except ValueError:
            raise InvalidInput("unknown flag {value}", "flags", value=value) from None
        if flag is not Flag.REPEAT and flag.value not in chosen:
            chosen.append(flag.value)
    kept = {Flag.REPEAT.value} & set(complaint.flags)
    implied = IMPLIED_FLAGS.get(Intake(complaint.intake))
    if implied is not None:
        kept.add(implied.value)
    if complaint.source == "cfpb":
        kept.add(Flag.REGULATOR.value)
    new_flags = chosen + sorted(kept - set(chosen))
    before = {
        "channel_code": complaint.channel_code,
        "business_code": complaint.business_code,
        "cause_code": complaint.cause_code,
        "flags": list(complaint.flags),
    }
    after = {**codes, "flags": new_flags}
    if before == after:
        return complaint
    complaint.channel_code = codes["channel_code"]
    complaint.business_code = codes["business_code"]
    complaint.cause_code = codes["cause_code"]
    complaint.department = department_for(complaint.business_code)
    complaint.flags = new_flags
    record(
        session,
        complaint,
        caller,
        Action.CLASSIFY,
        now,
        from_state=complaint.state,
        data={"before": before, "after": after, **{k: v for k, v in codes.items()}},
    )
    return complaint
