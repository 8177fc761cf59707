"""Filing a complaint from the public form, without the web: check, register, keep files.

A customer files a complaint with no account. The form is checked field by
field with messages in plain words (every problem at once, so an elderly
customer fixes the form in one pass); `intake.register` checks it again.
Afterwards the complainant holds a reference and a query code: together they
open the case's public view (`public_status`: the look-up, what the
complainant sees, and their answer to the bank's reply).

Message ids are English and translated by the pages; `_` below only marks
them for the catalogue check.
"""

from __future__ import annotations

import datetime as dt
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
from manyi.complaints import attachments, clock, intake, ports
from manyi.complaints.access import system_caller
from manyi.complaints.domain.model import ancestor_ids
from manyi.complaints.domain.policies import DayCount
from manyi.complaints.domain.taxonomy import Intake
from manyi.errors import InvalidInput
from manyi.org.model import UnitLevel
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.personal import check_mobile, check_resident_id


def _(message: str) -> str:
    """Marks a message id for translation; the page translates it when shown."""
    return message


FORM_CALLER = "public-form"  # who registers a complaint from the public form

MAX_FILES = 3  # on the public form; staff may add more later (attachments.MAX_PER_CASE)
# Shown when the whole form is larger than MAX_FILES full files could make it; such a
# request is refused before it is read (public.FORM_CAP).
TOO_LARGE = _("Too large to send. Please go back and choose at most {n} files, each up to {mb} MB.")
NAME_MAX = 100

# Rate limits (fixed windows, shared by every app process; look-ups: public_status).
SUBMIT_LIMIT = 5  # complaints per client address …
SUBMIT_WINDOW_S = 3600  # … per hour


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
    sms: bool = False  # "tell me how my complaint goes by text message" (customer reach)
    lang: str = "zh-CN"


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


def compact(value: str) -> str:
    """The text without spaces or dashes, full-width characters made plain."""
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
        sms=form.sms,
        lang=form.lang,
    )
    outlet = form.outlet.strip()
    if outlet:
        unit_id = ascii_int(outlet, 1)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None or not unit.active or unit.level != UnitLevel.OUTLET.value:
            problems["outlet"] = Problem(_("Please choose the outlet again from the list."))
        else:
            clean.outlet = str(unit.id)
    phone = compact(form.phone)
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
    id_number = compact(form.id_number)
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
    if form.sms and form.phone:  # before registering: the "received" message may then go
        ports.customer_notices().agree(session, form.phone, form.lang, now)
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


def allowed(session: Session, key: str, limit: int, window_s: int, now: dt.datetime) -> bool:
    """Count one attempt; False when `key` is over `limit` in the current window."""
    return ratelimit.hit(session, key, limit, window_s, now)


def reached(session: Session, key: str, limit: int, window_s: int, now: dt.datetime) -> bool:
    """Whether `key` has used its `limit` in the current window already (counts nothing)."""
    return ratelimit.reached(session, key, limit, window_s, now)
