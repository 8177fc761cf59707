"""Taking a visit request and deciding it: create, approve, refuse, cancel.

A request comes from a relative's phone call (taken by staff), from an outlet, or from a
complaint (its reference, found through complaints' `facts.case_by_reference` in the staff's
scope). Every field is checked before anything is written, so a refused request stores nothing.
The family's mobile number, when given for the news, becomes reach's contact with the consent
to visit messages recorded (source "visit"), through `ports.messages()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import facts as complaint_facts
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.org.model import Permission, UnitLevel, path_in_scope
from manyi.org.tables import Unit
from manyi.personal import check_mobile, check_resident_id
from manyi.special import ports
from manyi.special.access import Who, load, record
from manyi.special.domain.eligibility import Rules, check_request, default_rules
from manyi.special.domain.requests import (
    Action,
    Approvals,
    State,
    approve,
    check_action,
    check_reason,
)
from manyi.special.tables import SOURCES, SpecialVisit

TEXT_MAX = {"customer_name": 40, "relative_name": 40, "relation": 20, "place_text": 200}
MISSING = {
    "customer_name": "give the customer's name",
    "relative_name": "give the name of the relative who asked",
    "relation": "say how the relative is related to the customer",
    "place_text": "give the address, hospital ward or room",
}
EVIDENCE_MAX = 500


@dataclass(frozen=True)
class RequestFields:
    source: str  # "phone", "outlet" or "complaint"
    outlet_code: str
    customer_name: str
    id_number: str
    place_kind: str
    place_text: str
    need: str
    reason: str
    evidence: str
    amount: str = ""
    relative_name: str = ""
    relation: str = ""
    phone: str = ""  # the family's mobile, for the news of the date
    complaint_reference: str = ""


def _text(value: str, field: str, *, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise InvalidInput(MISSING[field], field)
    if len(cleaned) > TEXT_MAX[field]:
        raise InvalidInput("at most {n} characters", field, n=TEXT_MAX[field])
    return cleaned


def _outlet(session: Session, who: Who, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None or not path_in_scope(who.unit_path, unit.path):
        raise InvalidInput("there is no outlet {code} in your scope", "outlet", code=code[:20])
    if unit.unit_level is not UnitLevel.OUTLET:
        raise InvalidInput("a visit is made by an outlet", "outlet")
    return unit


def create_request(
    session: Session,
    who: Who,
    fields: RequestFields,
    now: dt.datetime,
    rules: Rules | None = None,
) -> SpecialVisit:
    """Store a new request (state "requested"), audited; bad input refused naming the field."""
    who.need(Permission.VISITS_REQUEST)
    rules = rules or default_rules()
    if fields.source not in SOURCES:
        raise InvalidInput("a request comes by phone, at an outlet or from a complaint", "source")
    outlet = _outlet(session, who, fields.outlet_code)
    name = _text(fields.customer_name, "customer_name")
    try:
        id_number = check_resident_id(fields.id_number, now.date())
    except ValueError:
        raise InvalidInput("the ID number is not a valid resident ID", "id_number") from None
    eligible = check_request(rules, fields.place_kind, fields.need, fields.reason, fields.amount)
    place_text = _text(fields.place_text, "place_text")
    evidence = " ".join(fields.evidence.split())
    if not evidence:
        raise InvalidInput("describe the evidence that the customer cannot come", "evidence")
    if len(evidence) > EVIDENCE_MAX:
        raise InvalidInput("at most {n} characters", "evidence", n=EVIDENCE_MAX)
    relative = _text(fields.relative_name, "relative_name", required=fields.source == "phone")
    relation = _text(fields.relation, "relation", required=bool(relative))
    complaint = None
    if fields.source == "complaint":
        complaint = complaint_facts.case_by_reference(
            session, who.unit_path, fields.complaint_reference
        )
        if complaint is None:
            raise InvalidInput("there is no complaint with this reference", "complaint_reference")
    phone = fields.phone.strip()
    if phone:
        try:
            check_mobile(phone)
        except ValueError:
            raise InvalidInput(
                "{number} is not a mainland mobile number (11 digits starting with 1)",
                "phone",
                number=phone[:20],
            ) from None
    elif fields.source == "phone":
        raise InvalidInput("give the family's mobile number for the news", "phone")
    # Everything is checked: from here on, writes.
    contact_id = None
    if phone:
        contact_id, _masked = ports.messages().remember(session, who.actor, phone, now)
    visit = SpecialVisit(
        reference=f"tmp-{now.timestamp()}-{who.staff_id}",
        outlet_id=outlet.id,
        outlet_path=outlet.path,
        source=fields.source,
        complaint_reference=complaint.reference if complaint else None,
        details={
            "customer_name": name,
            "id_number": id_number,
            "relative_name": relative,
            "relation": relation,
            "place_text": place_text,
            "evidence": evidence,
        },
        place_kind=eligible.place_kind,
        need=eligible.need.code,
        reason=eligible.reason,
        amount=eligible.amount,
        contact_id=contact_id,
        state=State.REQUESTED.value,
        requested_by_id=who.staff_id,
        requested_at=now,
        needs_branch=eligible.needs_branch,
        visit_place="",
        geo="",
        ended_reason="",
    )
    session.add(visit)
    session.flush()
    day = now.astimezone(ZoneInfo(outlet.timezone)).date()
    visit.reference = f"VS{day:%Y%m%d}{visit.id:06d}"
    record(
        session,
        who,
        visit,
        "request",
        now,
        source=visit.source,
        need=visit.need,
        place=visit.place_kind,
        branch=visit.needs_branch,
        complaint=visit.complaint_reference,
    )
    return visit


def approve_request(session: Session, who: Who, reference: str, now: dt.datetime) -> SpecialVisit:
    """The outlet head's approval, or the branch above's when the amount needs it; the request
    becomes "approved" when every approval it needs is there."""
    who.need(Permission.VISITS_APPROVE)
    visit = load(session, who, reference, lock=True)
    check_action(State(visit.state), Action.APPROVE)
    before = Approvals(visit.needs_branch, visit.outlet_approved_by_id, visit.branch_approved_by_id)
    after = approve(before, who.staff_id, visit.requested_by_id, who.unit_path, visit.outlet_path)
    level = "outlet" if after.outlet_by != before.outlet_by else "branch"
    if level == "outlet":
        visit.outlet_approved_by_id, visit.outlet_approved_at = who.staff_id, now
    else:
        visit.branch_approved_by_id, visit.branch_approved_at = who.staff_id, now
    if after.complete:
        visit.state, visit.approved_at = State.APPROVED.value, now
    record(session, who, visit, "approve", now, level=level, complete=after.complete)
    return visit


def refuse_request(
    session: Session, who: Who, reference: str, reason: str, now: dt.datetime
) -> SpecialVisit:
    who.need(Permission.VISITS_APPROVE)
    visit = load(session, who, reference, lock=True)
    check_action(State(visit.state), Action.REFUSE)
    text = check_reason(reason)
    if who.staff_id == visit.requested_by_id:
        raise Forbidden("the one who asked for the visit cannot decide it", "approver")
    visit.state, visit.ended_reason, visit.closed_at = State.REFUSED.value, text, now
    record(session, who, visit, "refuse", now)
    return visit


def cancel_request(
    session: Session, who: Who, reference: str, reason: str, now: dt.datetime
) -> SpecialVisit:
    who.need(Permission.VISITS_REQUEST)
    visit = load(session, who, reference, lock=True)
    check_action(State(visit.state), Action.CANCEL)
    visit.state, visit.ended_reason = State.CANCELLED.value, check_reason(reason)
    visit.closed_at = now
    record(session, who, visit, "cancel", now)
    return visit


def ensure_exists(visit: SpecialVisit | None, reference: str) -> SpecialVisit:
    if visit is None:
        raise NotFound("there is no visit {reference}", "visit", reference=reference)
    return visit
