"""The public complaint form: file a complaint (`/complaint`), then see the reference and
query code once (`/complaint/done`).

No sign-in. The rules live in `public_filing`; this module only translates the form and the
pages. Looking the complaint up and answering the bank's reply are in `public_status`, which
shares the helpers here: the browser's list of the cases it may open (`remember_case`), the
visitor's language and address, and the page shown when a visitor goes too fast.
"""

from __future__ import annotations

import datetime as dt
import time

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi.complaints import attachments, clock, intake
from manyi.complaints import public_filing as svc
from manyi.complaints import public_status as status_svc
from manyi.complaints.domain import deadlines
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


def client_address(request: Request) -> str:
    """The visitor's address, which the rate limits count by."""
    return request.client.host if request.client else "unknown"


def page_language(request: Request) -> tuple[str, Translate]:
    """The page's language and its translator."""
    lang = request_language(request)
    return lang, translator(lang)


def local_date(day: dt.date, lang: str) -> str:
    """A day as the customer reads it: "3 March 2025" or "2025年3月3日"."""
    if lang == "en":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def limited_page(request: Request, what: str) -> Response:
    """429: the visitor filed or looked up too often; `what` says which."""
    _ = translator(request_language(request))
    return render(
        request,
        "complaints/public_limited.html",
        {"title": _("Please wait a while"), "what": what},
        429,
    )


def remember_case(request: Request, reference: str) -> None:
    """Let this browser open the case `reference` (kept in the signed session)."""
    known = [r for r in request.session.get(CASES_KEY, []) if r != reference]
    request.session[CASES_KEY] = [*known, reference][-status_svc.REMEMBERED_CASES :]


def is_remembered(request: Request, reference: str) -> bool:
    known = request.session.get(CASES_KEY, [])
    return isinstance(known, list) and reference in known


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
    lang, _ = page_language(request)
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
            "text_max": intake.TEXT_MAX,
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
    sms: str = Form(""),
    website: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    now = utcnow()
    _ = translator(request_language(request))
    limit_key = f"complaint-form:{client_address(request)}"
    if website.strip():
        # A robot filled the hidden field: answer as if accepted, keep nothing.
        if not svc.allowed(session, limit_key, svc.SUBMIT_LIMIT, svc.SUBMIT_WINDOW_S, now):
            return limited_page(request, "form")
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
        sms=bool(sms),
        lang=request_language(request),
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
        return limited_page(request, "form")
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
    remember_case(request, reference)
    return RedirectResponse("/complaint/done", status_code=303)


@router.get("/complaint/done")
def complaint_done(
    request: Request, _visitor: None = public(identify=False), session: Session = DbSession
) -> Response:
    lang, _ = page_language(request)
    # Shown once: on a shared device (a kiosk, a branch tablet) the next visitor who opens this
    # page, or goes back to it, must not see the last complainant's reference and code.
    done = request.session.pop(DONE_KEY, None)
    if not isinstance(done, dict) or int(time.time()) - int(done.get("at", 0)) > DONE_FOR_S:
        return RedirectResponse("/complaint", status_code=303)
    reference = str(done["reference"])
    complaint = status_svc.by_reference(session, reference)
    if complaint is not None and complaint.due_at is not None:
        last_day = status_svc.last_local_day(complaint.due_at, complaint.timezone)
    else:  # the answer given to a robot: the same words, from the default policy
        policy = clock.policy_of(clock.policy_row(session))
        today = utcnow().astimezone(request.app.state.settings.zone).date()
        last_day = deadlines.last_day(policy, today, 0, clock.calendars(session))
    code = str(done["code"])
    response = render(
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
    response.headers["Cache-Control"] = "no-store"  # nor from the back button's cache
    return response
