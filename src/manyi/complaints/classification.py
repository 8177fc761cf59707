"""A case's classification: staff set or correct it, accept a model's suggestions in one click,
or a model applies a confident value where the bank allows it (always marked as machine-made).

The values live on the case (`business_code`, `cause_code`, `appeal_code`, `issue_code`,
`product`, and the channel); the suggestions, their outcomes and the models live in complaint
intelligence (`manyi.insight`), reached through `ports.classification()`. Every change is one
timeline entry saying who classified: a staff member, or the model (actor "classifier", with
the model versions and confidences in the entry's data).

Provenance, the rule the classifier's training reads: a value is staff's when staff chose it on
a form or accepted it; a value a model applied stays machine-made until staff accept it or
submit the classify form (which confirms every value on it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from manyi.complaints import ports
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.categories import check_code
from manyi.complaints.domain.model import Action
from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, department_for
from manyi.complaints.tables import Complaint
from manyi.complaints.timeline import record
from manyi.errors import Conflict, InvalidInput

PRODUCT_MAX = 300
MACHINE = "classifier"  # the timeline's actor name for a model's classification

_AXES = {"business": Axis.BUSINESS, "cause": Axis.CAUSE, "appeal": Axis.APPEAL}


def check_value(session: Session, target: str, value: str | None) -> str | None:
    """A value allowed on `target` now (an active code, a product name), None when empty;
    InvalidInput naming the form field otherwise."""
    field = ports.column_of(target)
    value = (value or "").strip()
    if target in _AXES:
        return check_code(session, _AXES[target], value, field)
    if target == "issue":
        if not value:
            return None
        codes = {code for code, _ in ports.classification().issue_categories(session, "zh")}
        if value not in codes:
            raise InvalidInput("unknown category {code}", field, code=value)
        return value
    if target == "product":
        if len(value) > PRODUCT_MAX:
            raise InvalidInput("at most {max} characters", field, max=PRODUCT_MAX)
        return value or None
    raise InvalidInput("unknown category {code}", "target", code=target)


def current(complaint: Complaint, target: str) -> str | None:
    value = getattr(complaint, ports.column_of(target))
    return value or None


def _set(complaint: Complaint, target: str, value: str | None) -> None:
    if target == "product":
        complaint.product = value or ""
        return
    setattr(complaint, ports.column_of(target), value)
    if target == "business":
        complaint.department = department_for(value)


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
    appeal_code: str | None = None,
    issue_code: str | None = None,
    product: str | None = None,
) -> Complaint:
    """Set or correct the classification (a public-form complaint arrives without one).

    A target given as None is not on the form and keeps its value. The flags the system sets
    itself stay: a repeat complainant, and what the channel implies (media risk, regulator
    referral). Staff stand behind every value on the form: the model's suggestions on them are
    accepted or corrected, and machine-made values become staff's.
    """
    from manyi.complaints.handling import load
    from manyi.complaints.intake import IMPLIED_FLAGS

    complaint = load(session, caller, complaint_id, Action.CLASSIFY)
    channel = check_code(session, Axis.CHANNEL, channel_code, "channel_code")
    given: dict[str, str | None] = {
        "business": check_value(session, "business", business_code),
        "cause": check_value(session, "cause", cause_code),
    }
    for target, value in (("appeal", appeal_code), ("issue", issue_code), ("product", product)):
        if value is not None:
            given[target] = check_value(session, target, value)
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
    before: dict[str, Any] = {
        "channel_code": complaint.channel_code,
        **{ports.column_of(t): current(complaint, t) for t in given},
        "flags": list(complaint.flags),
    }
    after: dict[str, Any] = {
        "channel_code": channel,
        **{ports.column_of(t): v for t, v in given.items()},
        "flags": new_flags,
    }
    machine_made = ports.classification().for_case(session, complaint.id).machine_made
    ports.classification().classified(session, complaint.id, given, caller.staff_id, now)
    if before == after and not (machine_made & set(given)):
        return complaint
    complaint.channel_code = channel
    for target, value in given.items():
        _set(complaint, target, value)
    complaint.flags = new_flags
    record(
        session,
        complaint,
        caller,
        Action.CLASSIFY,
        now,
        from_state=complaint.state,
        data={
            "before": before,
            "after": after,
            **{k: v for k, v in after.items() if k != "flags"},
        },
    )
    return complaint


def accept(
    session: Session,
    caller: Caller,
    complaint_id: int,
    now: dt.datetime,
    targets: list[str] | None = None,
) -> list[str]:
    """Accept the model's suggestions on `targets` (all open ones when None): one click on the
    case page. Returns the targets accepted; values no longer allowed are refused."""
    from manyi.complaints.handling import load

    complaint = load(session, caller, complaint_id, Action.CLASSIFY)
    case = ports.classification().for_case(session, complaint.id)
    open_ = {
        s.target: s
        for s in case.suggestions
        if s.outcome == "pending" or (s.outcome == "auto_applied" and s.target in case.machine_made)
    }
    wanted = list(open_) if targets is None else targets
    if not wanted:
        raise Conflict("there is no suggestion to accept on this case")
    values: dict[str, str | None] = {}
    for target in wanted:
        suggestion = open_.get(target)
        if suggestion is None:
            raise Conflict("there is no suggestion to accept on this case")
        values[target] = check_value(session, target, suggestion.value)
    before = {ports.column_of(t): current(complaint, t) for t in values}
    for target, value in values.items():
        _set(complaint, target, value)
    ports.classification().classified(session, complaint.id, values, caller.staff_id, now)
    after = {ports.column_of(t): v for t, v in values.items()}
    record(
        session,
        complaint,
        caller,
        Action.CLASSIFY,
        now,
        from_state=complaint.state,
        data={
            "before": before,
            "after": after,
            "accepted": {t: open_[t].model_version for t in values},
            **after,
        },
    )
    return list(values)


def apply_machine(
    session: Session,
    complaint_id: int,
    values: dict[str, tuple[str, float, int]],
    now: dt.datetime,
) -> list[str]:
    """A model's confident values (target → (value, confidence, model version)) applied to the
    targets that are still empty, marked as machine-made; returns the targets applied. A value
    no longer allowed (a category retired since) is skipped, never applied."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        return []
    applied: dict[str, tuple[str, float, int]] = {}
    for target, (value, confidence, version) in values.items():
        if current(complaint, target) is not None:
            continue  # never over staff's choice
        try:
            checked = check_value(session, target, value)
        except InvalidInput:
            continue
        if checked is None:
            continue
        _set(complaint, target, checked)
        applied[target] = (checked, confidence, version)
    if applied:
        record(
            session,
            complaint,
            system_caller(MACHINE),
            Action.CLASSIFY,
            now,
            from_state=complaint.state,
            data={
                "machine": {t: [v, round(c, 4), n] for t, (v, c, n) in applied.items()},
                **{ports.column_of(t): v for t, (v, _, _) in applied.items()},
            },
        )
    return list(applied)
