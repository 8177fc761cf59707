"""The public complaint pages: file a complaint, look it up, answer the bank's reply.

No sign-in. A complaint is filed at `/complaint`; the customer gets a
reference and a query code once (`/complaint/done`). Reference and code
together open the case (`/complaint/status`): the reference is then kept in
the signed session, so `/complaint/status/{reference}` can be reloaded, and
without it the page sends the visitor back to the look-up form. The rules
live in `public_service` (filing) and `public_status` (the look-up and the
complainant's view); this module only translates forms and pages.
"""

from __future__ import annotations

import datetime as dt
import time

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import attachments, clock
from manyi.complaints import public_filing as svc
from manyi.complaints import public_status as status_svc
from manyi.complaints.domain import deadlines
from manyi.complaints.domain.model import State
from manyi.complaints.tables import Complaint
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

DONE_KEY = "complaint_done"  # the reference and code just given, shown until DONE_FOR_S
DONE_FOR_S = 30 * 60
CASES_KEY = "complaint_cases"  # references this browser may open (after a look-up)
HONEYPOT = "website"  # left empty by people; robots fill every field
# The form with MAX_FILES full files; a larger request is refused before it is read (app.py).
FORM_CAP = BodyCap(
    "POST",
    "/complaint",
    svc.MAX_FILES * attachments.MAX_BYTES + FORM_SLACK_BYTES,
    svc.TOO_LARGE,
    {"n": svc.MAX_FILES, "mb": attachments.MAX_BYTES // (1024 * 1024)},
)

# The service's field names (intake) → the form's.
FORM_FIELDS = {
    "subject": "subject",
    "description": "description",
    "request": "ask",
    "complainant_name": "name",
    "complainant_phone": "phone",
    "complainant_id_number": "id_number",
    "responsible_unit_id": "outlet",
    "file": "files",
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(request: Request) -> tuple[str, Translate]:
    lang = request_language(request)
    return lang, translator(lang)


def local_date(day: dt.date, lang: str) -> str:
    if lang == "en":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _limited(request: Request, what: str) -> Response:
    _ = translator(request_language(request))
    return render(
        request,
        "complaints/public_limited.html",
        {"title": _("Please wait a while"), "what": what},
        429,
    )


# --- filing a complaint -----------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    form: svc.PublicForm,
    problems: dict[str, str],
    status: int = 200,
    *,
    files_dropped: bool = False,
) -> Response:
    lang, _ = _lang(request)
    promise = svc.promise(session)
    return render(
        request,
        "complaints/public_form.html",
        {
            "title": _("File a complaint"),
            "form": form,
            "problems": problems,
            "groups": svc.outlet_choices(session, lang),
            "promise": promise,
            "max_files": svc.MAX_FILES,
            "max_mb": attachments.MAX_BYTES // (1024 * 1024),
            "files_dropped": files_dropped,
            "honeypot": HONEYPOT,
        },
        status,
    )


@router.get("/complaint")
def complaint_form(
    request: Request, _visitor: None = public(identify=False), session: Session = DbSession
) -> Response:
    return _form_page(request, session, svc.PublicForm(), {})


def _read(files: list[UploadFile]) -> list[svc.Upload]:
    uploads = []
    for upload in files:
        # Read one byte past the limit: enough to know a file is too large.
        data = upload.file.read(attachments.MAX_BYTES + 1)
        if not upload.filename and not data:
            continue  # the empty part a browser sends when no file was chosen
        uploads.append(svc.Upload(upload.filename or "", data))
    return uploads


def _translated(problems: dict[str, svc.Problem], _: Translate) -> dict[str, str]:
    return {name: _(p.message).format(**p.params) for name, p in problems.items()}


@router.post("/complaint")
def complaint_submit(
    request: Request,
    subject: str = Form(""),
    description: str = Form(""),
    ask: str = Form(""),
    outlet: str = Form(""),
    name: str = Form(""),
    phone: str = Form(""),
    id_number: str = Form(""),
    consent: str = Form(""),
    website: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    now = utcnow()
    _ = translator(request_language(request))
    limit_key = f"complaint-form:{_client(request)}"
    if website.strip():
        # A robot filled the hidden field: answer as if accepted, keep nothing.
        if not svc.allowed(session, limit_key, svc.SUBMIT_LIMIT, svc.SUBMIT_WINDOW_S, now):
            return _limited(request, "form")
        reference, code = svc.decoy(now)
        request.session[DONE_KEY] = {"reference": reference, "code": code, "at": int(time.time())}
        return RedirectResponse("/complaint/done", status_code=303)
    typed = svc.PublicForm(
        subject=subject,
        description=description,
        request=ask,
        outlet=outlet,
        name=name,
        phone=phone,
        id_number=id_number,
        consent=bool(consent),
    )
    uploads = _read(files)
    today = now.astimezone(request.app.state.settings.zone).date()
    try:
        clean = svc.check_form(session, typed, uploads, today)
    except svc.FormProblems as exc:
        return _form_page(
            request,
            session,
            typed,
            _translated(exc.problems, _),
            422,
            files_dropped=bool(uploads) and "files" not in exc.problems,
        )
    if not svc.allowed(session, limit_key, svc.SUBMIT_LIMIT, svc.SUBMIT_WINDOW_S, now):
        return _limited(request, "form")
    try:
        registered = svc.submit(
            session, clean, uploads, now, var_dir=request.app.state.settings.var_dir
        )
    except InvalidInput as exc:
        session.rollback()  # nothing half-stored: no case without its files
        where = FORM_FIELDS.get(exc.field, "subject")
        return _form_page(
            request, session, typed, {where: exc.text(_)}, 422, files_dropped=bool(uploads)
        )
    reference = registered.complaint.reference
    request.session[DONE_KEY] = {
        "reference": reference,
        "code": registered.query_code,
        "at": int(time.time()),
    }
    _remember(request, reference)
    return RedirectResponse("/complaint/done", status_code=303)


@router.get("/complaint/done")
def complaint_done(
    request: Request, _visitor: None = public(identify=False), session: Session = DbSession
) -> Response:
    lang, _ = _lang(request)
    done = request.session.get(DONE_KEY)
    if not isinstance(done, dict) or int(time.time()) - int(done.get("at", 0)) > DONE_FOR_S:
        request.session.pop(DONE_KEY, None)
        return RedirectResponse("/complaint", status_code=303)
    reference = str(done["reference"])
    complaint = status_svc.by_reference(session, reference)
    if complaint is not None and complaint.due_at is not None:
        last_day = status_svc.last_local_day(complaint.due_at, complaint.timezone)
    else:  # the answer given to a robot: the same words, from the default policy
        policy = clock.policy_of(clock.policy_row(session))
        today = utcnow().astimezone(request.app.state.settings.zone).date()
        last_day = deadlines.last_day(policy, today, 0)
    code = str(done["code"])
    return render(
        request,
        "complaints/public_done.html",
        {
            "title": _("We received your complaint"),
            "reference": reference,
            "code_groups": [code[:4], code[4:]],
            "promise": svc.promise(session),
            "last_day": local_date(last_day, lang),
        },
    )


# --- looking a complaint up -------------------------------------------------------------


def _remember(request: Request, reference: str) -> None:
    known = [r for r in request.session.get(CASES_KEY, []) if r != reference]
    request.session[CASES_KEY] = [*known, reference][-status_svc.REMEMBERED_CASES :]


def _remembered(request: Request, reference: str) -> bool:
    known = request.session.get(CASES_KEY, [])
    return isinstance(known, list) and reference in known


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
        session, f"complaint-status:{_client(request)}", status_svc.LOOKUP_LIMIT_CLIENT, window, now
    )
    if not by_client or not svc.allowed(
        session, f"complaint-status-ref:{wanted}", status_svc.LOOKUP_LIMIT_REFERENCE, window, now
    ):
        return _limited(request, "lookup")
    complaint = status_svc.find(session, wanted, code)
    if complaint is None:
        message = _("We could not find this complaint. Please check both numbers and try again.")
        return _lookup_page(request, reference.strip(), message, 404)
    _remember(request, complaint.reference)
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
    lang, _ = _lang(request)
    complaint = (
        status_svc.by_reference(session, reference) if _remembered(request, reference) else None
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
    if not _remembered(request, reference):
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
