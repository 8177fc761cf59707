"""The case's workflow as small POSTs: take it up, decide, close, reopen, withdraw, transfer,
step aside, reassign. Each parses the form and calls the use case through `act`, which either
goes back to the case (303) or shows it again with the error and the form still open.

The actions beside the workflow (extensions, consultations, notes, classification,
attachments) are in `side_actions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import access, handling, resolution, staff_queries
from manyi.complaints.access import Caller
from manyi.complaints.domain.model import Action, TransitionError
from manyi.complaints.tables import Complaint
from manyi.complaints.web.cases import case_page
from manyi.complaints.web.common import caller_of, error_text
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.parsing import ascii_int
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/complaints", include_in_schema=False)


def act(
    request: Request,
    session: Session,
    principal: Principal,
    complaint_id: int,
    form: str,
    values: dict[str, Any],
    work: Callable[[Caller, dt.datetime], object],
) -> Response:
    """Run `work` as the caller, now; back to the case, or the case again with the error and
    `form` open with its `values`."""
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
    return act(
        request,
        session,
        principal,
        complaint_id,
        "start",
        {"note": note},
        lambda caller, now: handling.start(session, caller, complaint_id, now, note=note),
    )


def _task_number(text: str) -> int | None:
    """The number typed for "link to task #N" ("12" or "#12"); None when empty."""
    text = text.strip().lstrip("#").strip()
    if not text:
        return None
    value = ascii_int(text)
    if value is None or value < 1:
        raise InvalidInput("give the number of the task to link", "task_id")
    return value


@router.post("/{complaint_id}/decide")
def decide(
    request: Request,
    complaint_id: int,
    decision: Annotated[str, Form()] = "",
    reply_channel: Annotated[str, Form()] = "",
    verdict: Annotated[str, Form()] = "",
    root_cause_kind: Annotated[str, Form()] = "",
    root_cause: Annotated[str, Form()] = "",
    task: Annotated[str, Form()] = "",
    task_id: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    values = {
        "decision": decision,
        "reply_channel": reply_channel,
        "verdict": verdict,
        "root_cause_kind": root_cause_kind,
        "root_cause": root_cause,
        "task": task,
        "task_id": task_id,
    }
    return act(
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
            verdict=verdict,
            root_cause_kind=root_cause_kind,
            root_cause=root_cause,
            task=task,
            task_id=_task_number(task_id) if task == "link" else None,
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
    return act(
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
    return act(
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
    return act(
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
            unit = staff_queries.active_unit_by_code(session, unit_code)
            if unit is None:
                raise InvalidInput(
                    "there is no active unit with code {code}", "unit_id", code=unit_code.strip()
                )
            target = unit.id
        elif (chosen := ascii_int(unit_id)) is not None:
            target = chosen
        else:
            raise InvalidInput("choose the unit to transfer to", "unit_id")
        return handling.transfer(session, caller, complaint_id, now, unit_id=target, note=note)

    values = {"unit_id": unit_id, "unit_code": unit_code, "note": note}
    return act(request, session, principal, complaint_id, "transfer", values, work)


@router.post("/{complaint_id}/declare_conflict")
def declare_conflict(
    request: Request,
    complaint_id: int,
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    return act(
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
        handler = ascii_int(handler_id)
        if handler is None:
            handling.load(session, caller, complaint_id, Action.ASSIGN)  # refuse first if barred
            raise InvalidInput("choose the handler", "handler_id")
        return handling.reassign(session, caller, complaint_id, now, handler_id=handler, note=note)

    values = {"handler_id": handler_id, "note": note}
    return act(request, session, principal, complaint_id, "reassign", values, work)
