"""What the public complaint pages do, without the web: the form, the lookup, the replies.

A customer files a complaint with no account. The form is checked field by
field with messages in plain words (every problem at once, so an elderly
customer fixes the form in one pass); `intake.register` checks it again.
Afterwards the complainant holds a reference and a query code: together they
open the case's public view, which shows only what the bank marked public,
and lets the complainant accept the bank's reply or say they are not
satisfied (a public note for the staff; it never reopens the case by itself).

Message ids are English and translated by the pages; `_` below only marks
them for the catalogue check.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import ratelimit
from manyi.complaints import attachments, clock, handling, intake
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.deadlines import DayCount
from manyi.complaints.extensions import complaint_managers
from manyi.complaints.model import OPEN_STATES, Action, CloseReason, State, ancestor_ids
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.complaints.taxonomy import Intake
from manyi.complaints.timeline import events, record
from manyi.errors import InvalidInput
from manyi.notify import service as notify
from manyi.org.model import UnitLevel
from manyi.org.tables import Unit
from manyi.personal import check_mobile, check_resident_id


def _(message: str) -> str:
    """Marks a message id for translation; the page translates it when shown."""
    return message


FORM_CALLER = "public-form"  # who registers a complaint from the public form
COMPLAINANT_CALLER = "complainant"  # who accepts or disputes on the status page

MAX_FILES = 3  # on the public form; staff may add more later (attachments.MAX_PER_CASE)
NAME_MAX = 100
DISPUTE_MAX = 2000

# Rate limits (fixed windows, shared by every app process).
SUBMIT_LIMIT = 5  # complaints per client address …
SUBMIT_WINDOW_S = 3600  # … per hour
LOOKUP_LIMIT_CLIENT = 20  # status look-ups per client address …
LOOKUP_LIMIT_REFERENCE = 10  # … and per reference, against guessing a code …
LOOKUP_WINDOW_S = 3600  # … per hour
REMEMBERED_CASES = 5  # references a browser session keeps open after a look-up


# --- the form ---------------------------------------------------------------------------


@dataclass
class PublicForm:
    subject: str = ""
    description: str = ""
    request: str = ""
    outlet: str = ""  # a unit id, or "" when the customer does not know
    name: str = ""
    phone: str = ""
    id_number: str = ""
    consent: bool = False


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field, as a message id and its parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)


class FormProblems(Exception):
    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class OutletChoice:
    id: int
    name: str


@dataclass(frozen=True)
class OutletGroup:
    name: str  # the tier-1 branch (a city or province); "" for outlets directly below the root
    outlets: list[OutletChoice]


def outlet_choices(session: Session, lang: str) -> list[OutletGroup]:
    """Active outlets by name, grouped under their tier-1 branch."""
    units = session.scalars(
        select(Unit).where(
            Unit.active,
            Unit.level.in_([UnitLevel.TIER1_BRANCH.value, UnitLevel.OUTLET.value]),
        )
    ).all()
    branches = {u.id: u.name(lang) for u in units if u.level == UnitLevel.TIER1_BRANCH.value}
    groups: dict[str, list[OutletChoice]] = {}
    for unit in units:
        if unit.level != UnitLevel.OUTLET.value:
            continue
        chain = ancestor_ids(unit.path)  # the outlet itself … the root
        branch = next((branches[i] for i in chain if i in branches), "")
        groups.setdefault(branch, []).append(OutletChoice(unit.id, unit.name(lang)))
    return [
        OutletGroup(name, sorted(items, key=lambda o: o.name))
        for name, items in sorted(groups.items())
    ]


def _text(value: str, name: str, limit: int, problems: dict[str, Problem], missing: str) -> str:
    value = value.strip()
    if missing and not value:
        problems[name] = Problem(missing)
    elif len(value) > limit:
        problems[name] = Problem(
            _("Please shorten this to at most {max} characters (now {n})."),
            {"max": limit, "n": len(value)},
        )
    return value


def _compact(value: str) -> str:
    return re.sub(r"[\s\-]+", "", unicodedata.normalize("NFKC", value))


def check_form(
    session: Session, form: PublicForm, uploads: Sequence[Upload], today: dt.date
) -> PublicForm:
    """A cleaned copy of the form, or FormProblems naming every field to fix."""
    problems: dict[str, Problem] = {}
    clean = PublicForm(
        subject=_text(
            form.subject,
            "subject",
            intake.SUBJECT_MAX,
            problems,
            _("Please say in a few words what happened."),
        ),
        description=_text(
            form.description,
            "description",
            intake.TEXT_MAX,
            problems,
            _("Please tell us what happened: when, where and what went wrong."),
        ),
        request=_text(form.request, "request", intake.TEXT_MAX, problems, ""),
        name=_text(form.name, "name", NAME_MAX, problems, _("Please enter your name.")),
        consent=form.consent,
    )
    outlet = form.outlet.strip()
    if outlet:
        unit = session.get(Unit, int(outlet)) if outlet.isdigit() and len(outlet) < 10 else None
        if unit is None or not unit.active or unit.level != UnitLevel.OUTLET.value:
            problems["outlet"] = Problem(_("Please choose the outlet again from the list."))
        else:
            clean.outlet = str(unit.id)
    phone = _compact(form.phone)
    if not phone:
        problems["phone"] = Problem(_("Please enter your mobile number so that we can call you."))
    else:
        try:
            clean.phone = check_mobile(phone)
        except ValueError:
            problems["phone"] = (
                Problem(
                    _("A mobile number has 11 digits. You typed {n}. Please check it."),
                    {"n": len(phone)},
                )
                if phone.isdigit() and len(phone) != 11
                else Problem(
                    _("This is not a mainland mobile number. It starts with 13 to 19, 11 digits.")
                )
            )
    id_number = _compact(form.id_number)
    if id_number:
        try:
            clean.id_number = check_resident_id(id_number, today)
        except ValueError:
            problems["id_number"] = (
                Problem(
                    _("An ID card number has 18 characters. You typed {n}. Please check it."),
                    {"n": len(id_number)},
                )
                if len(id_number) != 18
                else Problem(
                    _("This ID card number is not right. Please check it, or leave it empty.")
                )
            )
    if not form.consent:
        problems["consent"] = Problem(
            _("Please tick this box: we need your agreement to handle your complaint.")
        )
    file_problem = check_uploads(uploads)
    if file_problem is not None:
        problems["files"] = file_problem
    if problems:
        raise FormProblems(problems)
    return clean


def check_uploads(uploads: Sequence[Upload]) -> Problem | None:
    """The first problem with the files chosen, checked before anything is stored."""
    if len(uploads) > MAX_FILES:
        return Problem(_("Please choose at most {n} files."), {"n": MAX_FILES})
    for upload in uploads:
        name = attachments.clean_filename(upload.filename)
        if not upload.data:
            return Problem(_("The file {name} is empty."), {"name": name})
        if len(upload.data) > attachments.MAX_BYTES:
            return Problem(
                _("The file {name} is too large. Each file may have at most {mb} MB."),
                {"name": name, "mb": attachments.MAX_BYTES // (1024 * 1024)},
            )
        if attachments.sniff(upload.data) is None:
            return Problem(
                _("The file {name} cannot be sent. Please choose photos (JPEG, PNG) or PDF files."),
                {"name": name},
            )
    return None


def root_unit(session: Session) -> Unit:
    """The bank's top unit: where a complaint about no particular outlet is registered."""
    unit = session.scalar(
        select(Unit).where(Unit.parent_id.is_(None), Unit.active).order_by(Unit.id).limit(1)
    )
    if unit is None:
        raise InvalidInput("there is no active unit {id}", "outlet", id="root")
    return unit


def submit(
    session: Session,
    form: PublicForm,
    uploads: Sequence[Upload],
    now: dt.datetime,
    *,
    var_dir: Path,
) -> intake.Registered:
    """Register a checked form and keep its files; the caller commits or rolls back."""
    caller = system_caller(FORM_CALLER)
    unit_id = int(form.outlet) if form.outlet else root_unit(session).id
    registered = intake.register(
        session,
        caller,
        intake.ComplaintForm(
            intake=Intake.WEB.value,
            subject=form.subject,
            description=form.description,
            request=form.request,
            complainant_name=form.name,
            complainant_phone=form.phone,
            complainant_id_number=form.id_number,
        ),
        now,
        registered_unit_id=unit_id,
    )
    for upload in uploads:
        attachments.attach(
            session,
            caller,
            registered.complaint,
            now,
            var_dir=var_dir,
            filename=upload.filename,
            data=upload.data,
            public=True,
        )
    return registered


def decoy(now: dt.datetime) -> tuple[str, str]:
    """A reference and code shaped like real ones, for a form a robot filled (never stored)."""
    code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _i in range(8))
    return f"TS{now:%Y%m%d}{secrets.randbelow(10**7):07d}", code


@dataclass(frozen=True)
class Promise:
    """How long the bank has to answer under the default policy."""

    days: int
    working_days: bool


def promise(session: Session) -> Promise:
    policy = clock.policy_of(clock.policy_row(session))
    return Promise(days=policy.limits[0], working_days=policy.day_count is DayCount.WORKING)


# --- finding a case ---------------------------------------------------------------------


def normalise_reference(text: str) -> str:
    return _compact(text).upper()[:32]


def normalise_code(text: str) -> str:
    return _compact(text).upper()[:32]


def allowed(session: Session, key: str, limit: int, window_s: int, now: dt.datetime) -> bool:
    """Count one attempt; False when `key` is over `limit` in the current window."""
    return ratelimit.hit(session, key, limit, window_s, now)


def find(session: Session, reference: str, code: str) -> Complaint | None:
    """The case whose reference and query code both match, else None (whatever was wrong)."""
    reference, code = normalise_reference(reference), normalise_code(code)
    complaint = by_reference(session, reference) if reference else None
    expected = complaint.query_code_hash if complaint is not None else None
    given = intake.query_code_hash(reference, code)
    if complaint is None or not expected or not code:
        return None
    return complaint if hmac.compare_digest(expected, given) else None


def by_reference(session: Session, reference: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.reference == reference))


# --- what the complainant sees ----------------------------------------------------------

# Plain words for each state (已受理 / 处理中 / 已答复 / 已办结 / 已撤诉).
STATE_TEXT = {
    State.REGISTERED: _("Accepted for handling"),
    State.ASSIGNED: _("Accepted for handling"),
    State.INVESTIGATING: _("Being handled"),
    State.DECIDED: _("The bank has replied"),
    State.CLOSED: _("Complaint closed"),
    State.WITHDRAWN: _("Complaint withdrawn"),
}

EVENT_TEXT = {
    Action.REGISTER.value: _("We received your complaint."),
    Action.ASSIGN.value: _("A member of staff is in charge of your complaint."),
    Action.START.value: _("A member of staff is looking into your complaint."),
    Action.DECIDE.value: _("The bank replied to you."),
    Action.REOPEN.value: _("Your complaint is being handled again."),
    Action.WITHDRAW.value: _("The complaint was withdrawn."),
    Action.TRANSFER.value: _("Your complaint was passed to the office responsible."),
    Action.EXTEND.value: _("The bank needs more time; the time limit was extended."),
    Action.APPROVE_EXTENSION.value: _("The bank needs more time; the time limit was extended."),
    Action.NOTE.value: _("Message from the bank"),
    Action.SUPERVISE.value: _("A higher office is following your complaint."),
}
CLOSED_TEXT = {
    CloseReason.ACCEPTED.value: _("You accepted the reply. The complaint is finished."),
    CloseReason.NO_ANSWER.value: _("The complaint is finished."),
    CloseReason.IMPORTED.value: _("The complaint is finished."),
}
DISPUTE_TEXT = _("You told us you are not satisfied with the reply.")
DISPUTE_KIND = "complainant_dispute"


@dataclass(frozen=True)
class PublicEvent:
    at: dt.datetime
    text: str  # message id
    note: str  # shown as written: the complainant's own words or a public note from staff


@dataclass(frozen=True)
class PublicView:
    reference: str
    state: State
    state_text: str
    received_on: dt.date
    last_day: dt.date | None  # the last local day for the bank's reply, while it runs
    decided_on: dt.date | None
    decision: str
    accepted: bool
    disputed_on: dt.date | None  # after the latest reply
    events: list[PublicEvent]

    @property
    def can_respond(self) -> bool:
        return self.state is State.DECIDED

    @property
    def can_dispute(self) -> bool:
        return self.can_respond and self.disputed_on is None


def _local_day(at: dt.datetime, tz: str) -> dt.date:
    return at.astimezone(clock.zone(tz)).date()


def last_local_day(due_at: dt.datetime, tz: str) -> dt.date:
    # A period runs out at 24:00 local of its last day, which is 00:00 of the next
    # day: one second earlier names the day the customer must be answered by.
    return (due_at.astimezone(clock.zone(tz)) - dt.timedelta(seconds=1)).date()


def _public_event(event: ComplaintEvent) -> PublicEvent:
    if event.action == Action.NOTE.value and event.data.get("kind") == DISPUTE_KIND:
        return PublicEvent(event.at, DISPUTE_TEXT, event.note)
    if event.action == Action.CLOSE.value:
        reason = str(event.data.get("reason", ""))
        return PublicEvent(event.at, CLOSED_TEXT.get(reason, CLOSED_TEXT["no_answer"]), "")
    text = EVENT_TEXT.get(event.action, _("Your complaint was updated."))
    # Only a note written for the complainant is shown as written; other entries
    # may carry staff wording (a reason for a transfer, an extension) and stay plain.
    note = event.note if event.action == Action.NOTE.value else ""
    return PublicEvent(event.at, text, note)


def view(session: Session, complaint: Complaint) -> PublicView:
    """The complainant's view of the case: public entries only, no staff names."""
    state = State(complaint.state)
    entries = events(session, complaint.id, public_only=True)
    disputed = [
        e
        for e in entries
        if e.action == Action.NOTE.value
        and e.data.get("kind") == DISPUTE_KIND
        and complaint.decided_at is not None
        and e.at >= complaint.decided_at
    ]
    tz = complaint.timezone
    decided = state in {State.DECIDED, State.CLOSED} and complaint.decided_at is not None
    return PublicView(
        reference=complaint.reference,
        state=state,
        state_text=STATE_TEXT[state],
        received_on=_local_day(complaint.received_at, tz),
        last_day=(
            last_local_day(complaint.due_at, tz)
            if complaint.due_at is not None and state in OPEN_STATES
            else None
        ),
        decided_on=_local_day(complaint.decided_at, tz)
        if decided and complaint.decided_at
        else None,
        decision=complaint.decision if decided else "",
        accepted=complaint.close_reason == CloseReason.ACCEPTED.value,
        disputed_on=_local_day(disputed[-1].at, tz) if disputed else None,
        events=[_public_event(e) for e in entries],
    )


# --- the complainant answers the reply --------------------------------------------------


def _complainant() -> Caller:
    return system_caller(COMPLAINANT_CALLER)


def accept(session: Session, complaint: Complaint, now: dt.datetime) -> Complaint:
    """The complainant accepts the bank's reply: the case closes (reason: accepted)."""
    return handling.accept_by_complainant(session, complaint, _complainant(), now)


def dispute(
    session: Session, complaint: Complaint, reason: str, now: dt.datetime
) -> ComplaintEvent:
    """The complainant is not satisfied: a public note, and the complaint managers are told.

    The state does not change; staff decide whether to reopen the case.
    """
    if State(complaint.state) is not State.DECIDED:
        raise InvalidInput(_("The bank has not replied yet."), "reason")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            _("Please tell us in a few words what you are not satisfied with."), "reason"
        )
    if len(reason) > DISPUTE_MAX:
        raise InvalidInput(
            _("Please shorten this to at most {max} characters (now {n})."),
            "reason",
            max=DISPUTE_MAX,
            n=len(reason),
        )
    event = record(
        session,
        complaint,
        _complainant(),
        Action.NOTE,
        now,
        from_state=complaint.state,
        note=reason,
        data={"kind": DISPUTE_KIND},
        public=True,
    )
    session.flush()
    for staff_id in managers_for(session, complaint):
        notify.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=staff_id,
            subject=DISPUTE_SUBJECT,
            body=reason,
            now=now,
            unit_id=complaint.responsible_unit_id,
            data={
                "subject_params": {"reference": complaint.reference},
                "url": f"/complaints/{complaint.id}",
            },
            dedupe_key=f"complaint:{complaint.id}:dispute:{event.id}:{staff_id}",
        )
    return event


DISPUTE_SUBJECT = _("The complainant of {reference} is not satisfied with the reply")


def managers_for(session: Session, complaint: Complaint) -> list[int]:
    """Complaint managers of the responsible unit, or of the nearest unit above that has any.

    Outlets rarely have a complaint manager of their own; the sub-branch above does.
    """
    for unit_id in ancestor_ids(complaint.responsible_unit_path):
        found = complaint_managers(session, unit_id)
        if found:
            return found
    return []
