"""The actions beside a case's workflow, as small POSTs: asking for and deciding an extension
of the deadline, consulting an expert, notes, the classification and attachments.

Each goes through `actions.act`: back to the case (303), or the case again with the error and
the form still open.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from manyi.complaints import (
    access,
    attachments,
    classification,
    experts,
    extensions,
    handling,
)
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import Action
from manyi.complaints.web.actions import act
from manyi.db import Session
from manyi.errors import Conflict, InvalidInput
from manyi.org.model import Permission
from manyi.parsing import ascii_int
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


@router.post("/{complaint_id}/extend")
def extend(
    request: Request,
    complaint_id: int,
    reason: Annotated[str, Form()] = "",
    complainant_informed: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    informed = complainant_informed in ("on", "1", "true")
    return act(
        request,
        session,
        principal,
        complaint_id,
        "extend",
        {"reason": reason, "complainant_informed": informed},
        lambda caller, now: extensions.request_extension(
            session, caller, complaint_id, now, reason=reason, complainant_informed=informed
        ),
    )


def _decide_extension(
    request: Request,
    session: Session,
    principal: Principal,
    complaint_id: int,
    note: str,
    *,
    approve: bool,
) -> Response:
    form = "approve_extension" if approve else "reject_extension"

    def work(caller: Caller, now: dt.datetime) -> object:
        access.get_visible(session, caller, complaint_id)
        waiting = extensions.pending(session, complaint_id)
        if waiting is None:
            raise Conflict("no extension of this case is waiting for a decision", "extension")
        return extensions.decide_extension(
            session, caller, waiting.id, now, approve=approve, note=note
        )

    return act(request, session, principal, complaint_id, form, {"note": note}, work)


@router.post("/{complaint_id}/approve_extension")
def approve_extension(
    request: Request,
    complaint_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _decide_extension(request, session, principal, complaint_id, note, approve=True)


@router.post("/{complaint_id}/reject_extension")
def reject_extension(
    request: Request,
    complaint_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _decide_extension(request, session, principal, complaint_id, note, approve=False)


@router.post("/{complaint_id}/consult")
def consult(
    request: Request,
    complaint_id: int,
    expert_id: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller, now: dt.datetime) -> object:
        expert = ascii_int(expert_id)
        if expert is None:
            handling.load(session, caller, complaint_id, Action.CONSULT)
            raise InvalidInput("choose the expert", "expert_id")
        return experts.consult(
            session, caller, complaint_id, now, expert_id=expert, question=question
        )

    values = {"expert_id": expert_id, "question": question}
    return act(request, session, principal, complaint_id, "consult", values, work)


@router.post("/{complaint_id}/note")
def note(
    request: Request,
    complaint_id: int,
    text: Annotated[str, Form()] = "",
    public: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    shown = public in ("on", "1", "true")
    return act(
        request,
        session,
        principal,
        complaint_id,
        "note",
        {"text": text, "public": shown},
        lambda caller, now: handling.add_note(
            session, caller, complaint_id, now, text=text, public=shown
        ),
    )


@router.post("/{complaint_id}/classify")
def classify(
    request: Request,
    complaint_id: int,
    channel_code: Annotated[str, Form()] = "",
    business_code: Annotated[str, Form()] = "",
    cause_code: Annotated[str, Form()] = "",
    appeal_code: Annotated[str | None, Form()] = None,
    issue_code: Annotated[str | None, Form()] = None,
    product: Annotated[str | None, Form()] = None,
    flags: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    chosen = list(flags or [])
    return act(
        request,
        session,
        principal,
        complaint_id,
        "classify",
        {
            "channel_code": channel_code,
            "business_code": business_code,
            "cause_code": cause_code,
            "appeal_code": appeal_code or "",
            "issue_code": issue_code or "",
            "product": product or "",
            "flags": chosen,
        },
        lambda caller, now: classification.classify(
            session,
            caller,
            complaint_id,
            now,
            channel_code=channel_code,
            business_code=business_code,
            cause_code=cause_code,
            appeal_code=appeal_code,
            issue_code=issue_code,
            product=product,
            flags=chosen,
        ),
    )


@router.post("/{complaint_id}/suggestions/accept")
def accept_suggestions(
    request: Request,
    complaint_id: int,
    target: Annotated[str, Form()] = "",  # empty: every open suggestion (全部采纳)
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    """One click: the model's suggested value on one target, or on all, becomes the case's."""
    return act(
        request,
        session,
        principal,
        complaint_id,
        "classify",
        {},
        lambda caller, now: classification.accept(
            session, caller, complaint_id, now, [target] if target else None
        ),
    )


# One file and the form around it; a larger request is refused before it is read (app.py).
ATTACH_CAP = BodyCap(
    "POST",
    r"/complaints/(?P<id>\d+)/attach",
    attachments.MAX_BYTES + FORM_SLACK_BYTES,
    "Too large to upload. Please go back and choose a file of at most {mb} MB.",
    {"mb": attachments.MAX_BYTES // (1024 * 1024)},
    back="/complaints/{id}?refused=too_large",
)


@router.post("/{complaint_id}/attach")
def attach(
    request: Request,
    complaint_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller, now: dt.datetime) -> object:
        complaint = handling.load(session, caller, complaint_id, Action.ATTACH)
        if file is None or not file.filename:
            raise InvalidInput("choose a file to upload", "file")
        data = file.file.read(attachments.MAX_BYTES + 1)
        return attachments.attach(
            session,
            caller,
            complaint,
            now,
            var_dir=request.app.state.settings.var_dir,
            filename=file.filename,
            data=data,
        )

    return act(request, session, principal, complaint_id, "attach", {}, work)
