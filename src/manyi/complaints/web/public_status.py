"""The complainant's pages after filing: look the complaint up with its reference and query
code (`/complaint/status`), see it (`/complaint/status/{reference}`) and accept or dispute
the bank's reply.

No sign-in. Reference and code together open the case: the reference is then kept in the
signed session (`public.remember_case`), so the status page can be reloaded, and without it
the page sends the visitor back to the look-up form. The rules live in `public_status` (the
look-up and the complainant's view); this module only translates forms and pages.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import clock
from manyi.complaints import public_filing as svc
from manyi.complaints import public_status as status_svc
from manyi.complaints.domain.model import State
from manyi.complaints.tables import Complaint
from manyi.complaints.web.public import (
    CASES_KEY,
    DONE_KEY,
    client_address,
    is_remembered,
    limited_page,
    local_date,
    page_language,
    remember_case,
)
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)


def _lookup_page(request: Request, reference: str, error: str, status: int = 200) -> Response:
    _ = translator(request_language(request))
    return render(
        request,
        "complaints/public_lookup.html",
        {"title": _("Check your complaint"), "reference": reference, "error": error},
        status,
    )


@router.get("/complaint/status")
def lookup_form(request: Request, _visitor: None = public(identify=False)) -> Response:
    return _lookup_page(request, "", "")


@router.post("/complaint/status")
def lookup(
    request: Request,
    reference: str = Form(""),
    code: str = Form(""),
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    now = utcnow()
    _ = translator(request_language(request))
    wanted = status_svc.normalise_reference(reference)
    window = status_svc.LOOKUP_WINDOW_S
    # Both counts are kept whatever the answer: a guess costs a try.
    by_client = svc.allowed(
        session,
        f"complaint-status:{client_address(request)}",
        status_svc.LOOKUP_LIMIT_CLIENT,
        window,
        now,
    )
    failures = {  # failed look-ups of this reference, from here and from anywhere
        f"complaint-status-ref:{wanted}:{client_address(request)}": (
            status_svc.LOOKUP_FAILURES_REFERENCE_CLIENT
        ),
        f"complaint-status-ref:{wanted}": status_svc.LOOKUP_FAILURES_REFERENCE,
    }
    if not by_client or any(
        svc.reached(session, key, limit, window, now) for key, limit in failures.items()
    ):
        return limited_page(request, "lookup")
    complaint = status_svc.find(session, wanted, code)
    if complaint is None:
        for key, limit in failures.items():
            svc.allowed(session, key, limit, window, now)
        message = _("We could not find this complaint. Please check both numbers and try again.")
        return _lookup_page(request, reference.strip(), message, 404)
    remember_case(request, complaint.reference)
    return RedirectResponse(f"/complaint/status/{complaint.reference}", status_code=303)


@router.post("/complaint/status-exit")
def lookup_exit(request: Request, _visitor: None = public(identify=False)) -> Response:
    """Forget the complaints this browser opened (a shared phone or a branch tablet)."""
    request.session.pop(CASES_KEY, None)
    request.session.pop(DONE_KEY, None)
    return RedirectResponse("/complaint/status", status_code=303)


# --- the complainant's view -------------------------------------------------------------


def _status_page(
    request: Request,
    session: Session,
    reference: str,
    *,
    step: str = "",
    error: str = "",
    reason: str = "",
    status: int = 200,
) -> Response:
    lang, _ = page_language(request)
    complaint = (
        status_svc.by_reference(session, reference) if is_remembered(request, reference) else None
    )
    if complaint is None:
        return RedirectResponse("/complaint/status", status_code=303)
    view = status_svc.view(session, complaint)
    if step not in ("accept", "dispute") or not view.can_respond:
        step = ""
    if step == "dispute" and not view.can_dispute:
        step = ""
    zone = clock.zone(complaint.timezone)

    def when(at: dt.datetime) -> str:
        local = at.astimezone(zone)
        return f"{local_date(local.date(), lang)} {local:%H:%M}"

    return render(
        request,
        "complaints/public_status.html",
        {
            "title": _("Your complaint"),
            "view": view,
            "step": step,
            "error": error,
            "reason": reason,
            "when": when,
            "day": lambda d: local_date(d, lang) if d else "",
            "decided": view.state in (State.DECIDED, State.CLOSED) and bool(view.decision),
        },
        status,
    )


@router.get("/complaint/status/{reference}")
def status_page(
    reference: str,
    request: Request,
    step: str = "",
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    return _status_page(request, session, status_svc.normalise_reference(reference), step=step)


def _own_case(request: Request, session: Session, reference: str) -> Complaint | None:
    reference = status_svc.normalise_reference(reference)
    if not is_remembered(request, reference):
        return None
    return status_svc.by_reference(session, reference)


@router.post("/complaint/status/{reference}/accept")
def accept_reply(
    reference: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    complaint = _own_case(request, session, reference)
    if complaint is None:
        return RedirectResponse("/complaint/status", status_code=303)
    if State(complaint.state) is State.DECIDED:  # a second tap finds it closed already
        status_svc.accept(session, complaint, utcnow())
    return RedirectResponse(f"/complaint/status/{complaint.reference}", status_code=303)


@router.post("/complaint/status/{reference}/dispute")
def dispute_reply(
    reference: str,
    request: Request,
    reason: str = Form(""),
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    complaint = _own_case(request, session, reference)
    if complaint is None:
        return RedirectResponse("/complaint/status", status_code=303)
    target = f"/complaint/status/{complaint.reference}"
    if status_svc.view(session, complaint).can_dispute:
        try:
            status_svc.dispute(session, complaint, reason, utcnow())
        except InvalidInput as exc:
            session.rollback()
            _ = translator(request_language(request))
            return _status_page(
                request,
                session,
                complaint.reference,
                step="dispute",
                error=exc.text(_),
                reason=reason,
                status=422,
            )
    return RedirectResponse(target, status_code=303)
