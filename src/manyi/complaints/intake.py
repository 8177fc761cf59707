"""Registering complaints: the staff form for every channel and the public form.

What a channel requires is data (`REQUIRED_BY_INTAKE`); everything typed is
checked here again whatever the page did, and a failure names the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit, sealed
from manyi.complaints import clock, ports
from manyi.complaints.access import Caller
from manyi.complaints.categories import check_code
from manyi.complaints.domain.model import Action, State
from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, department_for
from manyi.complaints.routing import auto_assign
from manyi.complaints.tables import Complaint, ComplaintNamedStaff
from manyi.complaints.timeline import add_event
from manyi.errors import InvalidInput
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit
from manyi.personal import check_mobile, check_resident_id, name_index, person_key, phone_index
from manyi.sealed import DataKeys

SUBJECT_MAX = 200
TEXT_MAX = 5000

# Besides subject and description, what each channel must carry.
REQUIRED_BY_INTAKE: dict[Intake, tuple[str, ...]] = {
    Intake.HOTLINE: ("complainant_phone",),
    Intake.COUNTER: ("complainant_name",),
    Intake.LETTER: ("complainant_name", "complainant_address"),
    Intake.EMAIL: ("complainant_email",),
    Intake.SOCIAL_MEDIA: ("intake_ref",),
    Intake.MEDIA: ("intake_ref",),
    Intake.REGULATOR: ("regulator_ref", "regulator_received_on"),
    Intake.WEB: ("complainant_name", "complainant_phone"),
    Intake.IMPORT: (),
}

# Flags a channel implies (the registering staff may add others).
IMPLIED_FLAGS: dict[Intake, Flag] = {
    Intake.MEDIA: Flag.MEDIA_RISK,
    Intake.REGULATOR: Flag.REGULATOR,
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass
class ComplaintForm:
    intake: str
    subject: str
    description: str
    request: str = ""
    channel_code: str = ""
    business_code: str = ""
    cause_code: str = ""
    appeal_code: str = ""
    flags: list[str] = field(default_factory=list)
    complainant_name: str = ""
    complainant_phone: str = ""
    complainant_id_number: str = ""
    complainant_email: str = ""
    complainant_address: str = ""
    intake_ref: str = ""
    regulator_ref: str = ""
    regulator_received_on: dt.date | None = None
    received_at: dt.datetime | None = None  # default: now
    responsible_unit_id: int | None = None  # default: the registering unit
    named_staff_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Registered:
    complaint: Complaint
    query_code: str  # shown once to the complainant; only its hash is stored


def query_code_hash(reference: str, code: str, keys: DataKeys) -> str:
    """The blind index of a case's query code: HMAC-SHA-256 under the pepper.

    It is taken over the SHA-256 of reference and code that manyi stored before the index was
    keyed, so that migration 0016 could key the stored hashes in place (the codes are not kept).
    Without the pepper a 40-bit code cannot be tested against it.
    """
    digest = hashlib.sha256(f"{reference}:{code.strip().upper()}".encode()).hexdigest()
    return keys.blind_index("query_code", digest)


def _text(value: str, name: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput("this field is required", name)
    if len(value) > limit:
        raise InvalidInput("at most {max} characters", name, max=limit)
    return value


def _intake(value: str) -> Intake:
    try:
        return Intake(value)
    except ValueError:
        raise InvalidInput("unknown channel {value}", "intake", value=value) from None


def _flags(values: Iterable[str], intake: Intake) -> list[str]:
    chosen: list[str] = []
    for value in values:
        try:
            flag = Flag(value)
        except ValueError:
            raise InvalidInput("unknown flag {value}", "flags", value=value) from None
        if flag is not Flag.REPEAT and flag.value not in chosen:  # repeat is detected, not chosen
            chosen.append(flag.value)
    implied = IMPLIED_FLAGS.get(intake)
    if implied is not None and implied.value not in chosen:
        chosen.append(implied.value)
    return chosen


def check_form(form: ComplaintForm, now: dt.datetime) -> ComplaintForm:
    """A cleaned copy of the form, or InvalidInput naming the first bad field."""
    intake = _intake(form.intake)
    clean = ComplaintForm(
        intake=intake.value,
        subject=_text(form.subject, "subject", SUBJECT_MAX, required=True),
        description=_text(form.description, "description", TEXT_MAX, required=True),
        request=_text(form.request, "request", TEXT_MAX),
        channel_code=form.channel_code.strip(),
        business_code=form.business_code.strip(),
        cause_code=form.cause_code.strip(),
        appeal_code=form.appeal_code.strip(),
        complainant_name=_text(form.complainant_name, "complainant_name", 100),
        complainant_email=_text(form.complainant_email, "complainant_email", 200),
        complainant_address=_text(form.complainant_address, "complainant_address", 300),
        intake_ref=_text(form.intake_ref, "intake_ref", 200),
        regulator_ref=_text(form.regulator_ref, "regulator_ref", 64),
        regulator_received_on=form.regulator_received_on,
        received_at=form.received_at or now,
        responsible_unit_id=form.responsible_unit_id,
        named_staff_ids=sorted(set(form.named_staff_ids)),
        flags=_flags(form.flags, intake),
    )
    phone = form.complainant_phone.strip()
    if phone:
        try:
            clean.complainant_phone = check_mobile(phone)
        except ValueError as exc:
            raise InvalidInput(
                "not a mainland mobile number: {reason}", "complainant_phone", reason=str(exc)
            ) from None
    id_number = form.complainant_id_number.strip()
    if id_number:
        try:
            clean.complainant_id_number = check_resident_id(id_number)
        except ValueError as exc:
            raise InvalidInput(
                "not a valid resident ID number: {reason}", "complainant_id_number", reason=str(exc)
            ) from None
    if clean.complainant_email and not _EMAIL.match(clean.complainant_email):
        raise InvalidInput("not an e-mail address", "complainant_email")
    for name in REQUIRED_BY_INTAKE[intake]:
        if not getattr(clean, name):
            raise InvalidInput("this field is required for this channel", name)
    received = clean.received_at
    assert received is not None
    if received.tzinfo is None:
        raise InvalidInput("the receipt time needs a time zone", "received_at")
    if received > now + dt.timedelta(minutes=5):
        raise InvalidInput("the receipt time is in the future", "received_at")
    if (
        clean.regulator_received_on is not None
        and clean.regulator_received_on > now.date() + dt.timedelta(days=1)
    ):
        raise InvalidInput("the regulator's receipt date is in the future", "regulator_received_on")
    return clean


def _unit(session: Session, unit_id: int, field_name: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise InvalidInput("there is no active unit {id}", field_name, id=unit_id)
    return unit


def register(
    session: Session,
    caller: Caller,
    form: ComplaintForm,
    now: dt.datetime,
    *,
    registered_unit_id: int | None = None,
    policy_code: str | None = None,
) -> Registered:
    """Register a complaint, route it and start its clock; one timeline entry and audit event."""
    caller.need(Permission.COMPLAINTS_REGISTER)
    form = check_form(form, now)
    home_id = registered_unit_id or caller.unit_id
    if home_id is None:
        raise InvalidInput("choose the unit that registers the complaint", "responsible_unit_id")
    home = _unit(session, home_id, "responsible_unit_id")
    responsible = _unit(session, form.responsible_unit_id or home.id, "responsible_unit_id")
    codes = {
        Axis.CHANNEL: check_code(session, Axis.CHANNEL, form.channel_code, "channel_code"),
        Axis.BUSINESS: check_code(session, Axis.BUSINESS, form.business_code, "business_code"),
        Axis.CAUSE: check_code(session, Axis.CAUSE, form.cause_code, "cause_code"),
        Axis.APPEAL: check_code(session, Axis.APPEAL, form.appeal_code, "appeal_code"),
    }
    for staff_id in form.named_staff_ids:
        if session.get(Staff, staff_id) is None:
            raise InvalidInput("there is no staff member {id}", "named_staff_ids", id=staff_id)
    policy = clock.policy_row(session, policy_code)
    keys = sealed.keys_of(session.info)
    key = person_key(
        form.complainant_id_number or None,
        form.complainant_phone or None,
        form.complainant_name or None,
        keys=keys,
    )
    flags = list(form.flags)
    if key is not None and session.scalar(select(func.count()).where(Complaint.person_key == key)):
        flags.append(Flag.REPEAT.value)
    received_at = form.received_at or now
    complaint = Complaint(
        reference=f"tmp-{uuid.uuid4().hex[:24]}",
        source="manyi",
        intake=form.intake,
        intake_ref=form.intake_ref,
        channel_code=codes[Axis.CHANNEL],
        business_code=codes[Axis.BUSINESS],
        cause_code=codes[Axis.CAUSE],
        appeal_code=codes[Axis.APPEAL],
        department=department_for(codes[Axis.BUSINESS] or ""),
        flags=flags,
        subject=form.subject,
        description=form.description,
        request=form.request,
        complainant_name=form.complainant_name,
        complainant_phone=form.complainant_phone,
        complainant_id_number=form.complainant_id_number,
        complainant_email=form.complainant_email,
        complainant_address=form.complainant_address,
        person_key=key,
        complainant_phone_index=phone_index(form.complainant_phone, keys=keys),
        complainant_name_index=name_index(form.complainant_name, keys=keys),
        registered_unit_id=home.id,
        responsible_unit_id=responsible.id,
        responsible_unit_path=responsible.path,
        registered_by_id=caller.staff_id,
        received_at=received_at,
        registered_at=now,
        regulator_ref=form.regulator_ref,
        regulator_received_on=form.regulator_received_on,
        state=State.REGISTERED.value,
        policy_code=policy.code,
        timezone=responsible.timezone,
        clock_started_at=received_at,
        deadline_stage=0,
    )
    session.add(complaint)
    session.flush()
    local_day = received_at.astimezone(clock.zone(responsible.timezone)).date()
    complaint.reference = f"TS{local_day:%Y%m%d}{complaint.id:07d}"
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    complaint.query_code_hash = query_code_hash(complaint.reference, code, keys)
    for staff_id in form.named_staff_ids:
        session.add(
            ComplaintNamedStaff(complaint_id=complaint.id, staff_id=staff_id, reason="named")
        )
    add_event(
        session,
        complaint,
        caller,
        Action.REGISTER,
        now,
        from_state=None,
        data={"intake": form.intake, "flags": flags},
        public=True,
    )
    audit.record(
        session,
        caller.actor,
        entity_type="complaint",
        entity_id=complaint.reference,
        action="complaint.register",
        summary={"intake": form.intake, "unit": responsible.code},
        unit_id=responsible.id,
        unit_path=responsible.path,
        now=now,
    )
    clock.refresh(
        complaint,
        clock.policy_of(policy),
        now,
        clock.calendars(session),
        close_after_days=policy.close_after_days,
    )
    auto_assign(session, complaint, caller, now)
    # The model's suggested classification (complaint intelligence, through the port), in this
    # unit of work: the case and its suggestions are saved together. docs/complaints.md
    # "Suggestions and the model store" says why here and not in a worker.
    ports.classification().after_registered(session, complaint.id, now)
    ports.tell_complainant(session, complaint, "received", now)
    return Registered(complaint=complaint, query_code=code)
