"""Every action on a case as its own small POST: parse the form, call the use case, and
either go back to the case (303) or show it again with the error and the form still open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import access, attachments, experts, extensions, handling, queries, resolution
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import Action, TransitionError
from manyi.complaints.tables import Complaint
from manyi.complaints.web.cases import case_page
from manyi.complaints.web.common import caller_of, error_text
from manyi.db import Session, utcnow
from manyi.errors import Conflict, InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


# --- Actions ----------------------------------------------------------------------------------


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    complaint_id: int,
    form: str,
    values: dict[str, Any],
    work: Callable[[Caller, dt.datetime], object],
) -> Response:
    caller = caller_of(principal)
    try:
        work(caller, utcnow())
    except (ManyiError, TransitionError) as exc:
        session.rollback()
        message, field, status = error_text(request, exc)
        return case_page(
            request,
            session,
            caller,
            complaint_id,
            status_code=status,
            error=message,
            field=field,
            open_form=form,
            values=values,
        )
    complaint = session.get(Complaint, complaint_id)
    if complaint is not None and access.can_see(session, caller, complaint):
        return RedirectResponse(f"/complaints/{complaint_id}?done={form}", status_code=303)
    # Transferred out of the caller's scope: back to the list, saying where the case went.
    reference = complaint.reference if complaint is not None else ""
    return RedirectResponse(f"/complaints?moved={reference}", status_code=303)


@router.post("/{complaint_id}/start")
def start(
    request: Request,
    complaint_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "start",
        {"note": note},
        lambda caller, now: handling.start(session, caller, complaint_id, now, note=note),
    )


@router.post("/{complaint_id}/decide")
def decide(
    request: Request,
    complaint_id: int,
    decision: Annotated[str, Form()] = "",
    reply_channel: Annotated[str, Form()] = "",
    root_cause: Annotated[str, Form()] = "",
    rectification_ref: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    values = {
        "decision": decision,
        "reply_channel": reply_channel,
        "root_cause": root_cause,
        "rectification_ref": rectification_ref,
    }
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "decide",
        values,
        lambda caller, now: resolution.decide(
            session,
            caller,
            complaint_id,
            now,
            decision=decision,
            reply_channel=reply_channel,
            root_cause=root_cause,
            rectification_ref=rectification_ref,
        ),
    )


@router.post("/{complaint_id}/close")
def close(
    request: Request,
    complaint_id: int,
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "close",
        {"reason": reason, "note": note},
        lambda caller, now: resolution.close(
            session, caller, complaint_id, now, reason=reason, note=note
        ),
    )


@router.post("/{complaint_id}/reopen")
def reopen(
    request: Request,
    complaint_id: int,
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "reopen",
        {"reason": reason},
        lambda caller, now: resolution.reopen(session, caller, complaint_id, now, reason=reason),
    )


@router.post("/{complaint_id}/withdraw")
def withdraw(
    request: Request,
    complaint_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "withdraw",
        {"note": note},
        lambda caller, now: resolution.withdraw(session, caller, complaint_id, now, note=note),
    )


@router.post("/{complaint_id}/transfer")
def transfer(
    request: Request,
    complaint_id: int,
    unit_id: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller, now: dt.datetime) -> object:
        if unit_code.strip():
            unit = queries.active_unit_by_code(session, unit_code)
            if unit is None:
                raise InvalidInput(
                    "there is no active unit with code {code}", "unit_id", code=unit_code.strip()
                )
            target = unit.id
        elif unit_id.strip().isdigit():
            target = int(unit_id)
        else:
            raise InvalidInput("choose the unit to transfer to", "unit_id")
        return handling.transfer(session, caller, complaint_id, now, unit_id=target, note=note)

    values = {"unit_id": unit_id, "unit_code": unit_code, "note": note}
    return _act(request, session, principal, complaint_id, "transfer", values, work)


@router.post("/{complaint_id}/declare_conflict")
def declare_conflict(
    request: Request,
    complaint_id: int,
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "declare_conflict",
        {"reason": reason},
        lambda caller, now: handling.declare_conflict(
            session, caller, complaint_id, now, reason=reason
        ),
    )


@router.post("/{complaint_id}/reassign")
def reassign(
    request: Request,
    complaint_id: int,
    handler_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    def work(caller: Caller, now: dt.datetime) -> object:
        if not handler_id.strip().isdigit():
            handling.load(session, caller, complaint_id, Action.ASSIGN)  # refuse first if barred
            raise InvalidInput("choose the handler", "handler_id")
        return handling.reassign(
            session, caller, complaint_id, now, handler_id=int(handler_id), note=note
        )

    values = {"handler_id": handler_id, "note": note}
    return _act(request, session, principal, complaint_id, "reassign", values, work)


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
    return _act(
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

    return _act(request, session, principal, complaint_id, form, {"note": note}, work)


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
        if not expert_id.strip().isdigit():
            handling.load(session, caller, complaint_id, Action.CONSULT)
            raise InvalidInput("choose the expert", "expert_id")
        return experts.consult(
            session, caller, complaint_id, now, expert_id=int(expert_id), question=question
        )

    values = {"expert_id": expert_id, "question": question}
    return _act(request, session, principal, complaint_id, "consult", values, work)


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
    return _act(
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
    flags: Annotated[list[str] | None, Form()] = None,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    chosen = list(flags or [])
    return _act(
        request,
        session,
        principal,
        complaint_id,
        "classify",
        {
            "channel_code": channel_code,
            "business_code": business_code,
            "cause_code": cause_code,
            "flags": chosen,
        },
        lambda caller, now: handling.classify(
            session,
            caller,
            complaint_id,
            now,
            channel_code=channel_code,
            business_code=business_code,
            cause_code=cause_code,
            flags=chosen,
        ),
    )


# One file and the form around it; a larger request is refused before it is read (app.py).
ATTACH_CAP = BodyCap(
    "POST",
    r"/complaints/\d+/attach",
    attachments.MAX_BYTES + FORM_SLACK_BYTES,
    "Too large to upload. Please go back and choose a file of at most {mb} MB.",
    {"mb": attachments.MAX_BYTES // (1024 * 1024)},
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

    return _act(request, session, principal, complaint_id, "attach", {}, work)
