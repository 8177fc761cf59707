"""The complainant's side of a filed case, without the web: look-up, view, reply.

The reference and the query code given when the complaint was filed open the
case's public view together. It shows only what the bank marked public (no
staff names, no internal notes) and lets the complainant accept the bank's
reply, which closes the case, or say they are not satisfied: a public note for
the staff, who are told; it never reopens the case by itself.

Message ids are English and translated by the pages; `_` below only marks
them for the catalogue check.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import sealed
from manyi.complaints import clock, intake, resolution
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.domain.model import OPEN_STATES, Action, CloseReason, State, ancestor_ids
from manyi.complaints.extensions import complaint_managers
from manyi.complaints.notices import tell
from manyi.complaints.public_filing import compact
from manyi.complaints.tables import Complaint, ComplaintEvent
from manyi.complaints.timeline import events, record
from manyi.errors import InvalidInput


def _(message: str) -> str:
    """Marks a message id for translation; the page translates it when shown."""
    return message


COMPLAINANT_CALLER = "complainant"  # who accepts or disputes on the status page

DISPUTE_MAX = 2000

# Rate limits on look-ups (fixed windows, shared by every app process; see
# public_service.allowed).
LOOKUP_LIMIT_CLIENT = 20  # status look-ups per client address …
# … and failed ones per reference: from one address, and from all of them together. Only
# failures count, so the complainant with the right code is not locked out by others' guesses
# (those take many addresses to stop her, and a 40-bit code is out of reach at this rate).
LOOKUP_FAILURES_REFERENCE_CLIENT = 10
LOOKUP_FAILURES_REFERENCE = 200
LOOKUP_WINDOW_S = 3600  # … per hour
REMEMBERED_CASES = 5  # references a browser session keeps open after a look-up


# --- finding a case ---------------------------------------------------------------------


def normalise_reference(text: str) -> str:
    return compact(text).upper()[:32]


def normalise_code(text: str) -> str:
    return compact(text).upper()[:32]


def find(session: Session, reference: str, code: str) -> Complaint | None:
    """The case whose reference and query code both match, else None (whatever was wrong)."""
    reference, code = normalise_reference(reference), normalise_code(code)
    complaint = by_reference(session, reference) if reference else None
    expected = complaint.query_code_hash if complaint is not None else None
    given = intake.query_code_hash(reference, code, sealed.keys_of(session.info))
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
    return resolution.accept_by_complainant(session, complaint, _complainant(), now)


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
    tell(
        session,
        complaint,
        managers_for(session, complaint),
        DISPUTE_SUBJECT,
        now,
        body=reason,
        dedupe=lambda staff_id: f"complaint:{complaint.id}:dispute:{event.id}:{staff_id}",
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
