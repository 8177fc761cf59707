"""The inspector's scorecard (`/supervision/inspections/{id}`), made for a tablet (768 px):
the checklist group by group, pass / fail / n.a. per item with a note and photos, the live
score and critical failures, submit; once submitted, each failed item has a one-step 整改
button that makes it a rectification task (and then shows the task).

Answers are saved as they are given (static/js/inspections.js posts the form and shows the
score the server computed); without the script, 保存 does the same. A bad answer, a photo that
is not one, or an incomplete card is refused with its reason and nothing stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from manyi.complaints.domain.files import MAX_BYTES
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.supervision import inspection_photos, inspections
from manyi.supervision.domain.scorecard import Score
from manyi.supervision.inspection_queries import scorecard_view
from manyi.supervision.web import inspection_words as words
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/supervision/inspections", include_in_schema=False)

# One photo and the form around it; a larger request is refused before it is read (app.py).
PHOTO_CAP = BodyCap(
    "POST",
    r"/supervision/inspections/(?P<id>\d+)/photos",
    MAX_BYTES + FORM_SLACK_BYTES,
    "Too large to upload. Please go back and choose a file of at most {mb} MB.",
    {"mb": MAX_BYTES // (1024 * 1024)},
    back="/supervision/inspections/{id}?refused=too_large",
)


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    visit_id: int,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    card = scorecard_view(session, principal.actor, visit_id, request_language(request))
    if request.query_params.get("refused") == "too_large" and not error:
        error = _("Too large to upload. Please go back and choose a file of at most {mb} MB.")
        error = error.format(mb=MAX_BYTES // (1024 * 1024))
    # Filled by the inspector it is assigned to, or by the first to take it up.
    editable = (
        not card.submitted
        and principal.can(Permission.SUPERVISION_INSPECT)
        and card.visit.inspector_id in (None, principal.id)
    )
    context: dict[str, Any] = {
        "title": _("Inspection scorecard"),
        "card": card,
        "editable": editable,
        "can_issue": card.submitted and principal.can(Permission.SUPERVISION_ISSUE),
        # A failed critical item may be misconduct: a link to the new-case form, prefilled.
        "can_file_misconduct": card.submitted and principal.can(Permission.MISCONDUCT_MANAGE),
        "words": words,
        "error": error,
        "done": request.query_params.get("done", ""),
        "max_mb": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "supervision/scorecard.html", context, status)


@router.get("/{visit_id}")
def scorecard(
    request: Request,
    visit_id: int,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    return _page(request, principal, session, visit_id)


def _answers(form: Any) -> dict[str, tuple[str, str]]:
    """{item code: (outcome, note)} from the form's `outcome_<code>` and `note_<code>` fields."""
    found: dict[str, tuple[str, str]] = {}
    for key in form:
        if key.startswith(("outcome_", "note_")):
            code = key.split("_", 1)[1]
            outcome = form.get(f"outcome_{code}", "")
            note = form.get(f"note_{code}", "")
            found[code] = (
                outcome if isinstance(outcome, str) else "",
                note if isinstance(note, str) else "",
            )
    return found


def _score_json(score: Score) -> dict[str, Any]:
    return {
        "score": score.value,
        "answered": score.answered,
        "total": score.total,
        "failed": list(score.failed),
        "critical": list(score.critical_failures),
    }


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/{visit_id}/results")
async def save_results(
    request: Request,
    visit_id: int,
    principal: Principal = require(Permission.SUPERVISION_INSPECT),
    session: Session = DbSession,
) -> Response:
    answers = _answers(await request.form())
    return await run_in_threadpool(_save, request, principal, session, visit_id, answers)


def _save(
    request: Request,
    principal: Principal,
    session: Session,
    visit_id: int,
    answers: dict[str, tuple[str, str]],
) -> Response:
    _ = translator(request_language(request))
    try:
        score = inspections.record_results(session, principal.actor, visit_id, answers, utcnow())
    except ManyiError as exc:
        session.rollback()
        if _wants_json(request):
            body = {"error": exc.error_code, "field": exc.field, "message": exc.text(_)}
            return JSONResponse(body, status_code=exc.status_code)
        return _page(
            request, principal, session, visit_id, error=exc.text(_), status=exc.status_code
        )
    if _wants_json(request):
        return JSONResponse(_score_json(score))
    return RedirectResponse(f"/supervision/inspections/{visit_id}?done=saved", status_code=303)


@router.post("/{visit_id}/photos")
def upload_photo(
    request: Request,
    visit_id: int,
    item: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
    principal: Principal = require(Permission.SUPERVISION_INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        if photo is None or not photo.filename:
            raise InvalidInput("choose a photo to upload", "photo")
        data = photo.file.read(MAX_BYTES + 1)
        inspection_photos.attach_photo(
            session,
            principal.actor,
            visit_id,
            item.strip(),
            filename=photo.filename,
            data=data,
            var_dir=request.app.state.settings.var_dir,
            now=utcnow(),
        )
    except ManyiError as exc:
        session.rollback()
        return _page(
            request, principal, session, visit_id, error=exc.text(_), status=exc.status_code
        )
    code = item.strip()
    return RedirectResponse(
        f"/supervision/inspections/{visit_id}?done=photo#item-{code}", status_code=303
    )


@router.get("/{visit_id}/photos/{sha256}")
def photo_file(
    request: Request,
    visit_id: int,
    sha256: str,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    kind, data = inspection_photos.read_photo(
        session, principal.actor, visit_id, sha256, request.app.state.settings.var_dir
    )
    return Response(
        data,
        media_type=kind,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/{visit_id}/submit")
async def submit(
    request: Request,
    visit_id: int,
    principal: Principal = require(Permission.SUPERVISION_INSPECT),
    session: Session = DbSession,
) -> Response:
    form = await request.form()
    notes = form.get("notes")
    text = notes if isinstance(notes, str) else None
    answers = _answers(form)
    return await run_in_threadpool(_submit, request, principal, session, visit_id, answers, text)


def _submit(
    request: Request,
    principal: Principal,
    session: Session,
    visit_id: int,
    answers: dict[str, tuple[str, str]],
    notes: str | None,
) -> Response:
    _ = translator(request_language(request))
    try:
        now = utcnow()
        if answers:
            inspections.record_results(session, principal.actor, visit_id, answers, now)
        inspections.submit_visit(session, principal.actor, visit_id, now, notes)
    except ManyiError as exc:
        session.rollback()
        return _page(
            request, principal, session, visit_id, error=exc.text(_), status=exc.status_code
        )
    return RedirectResponse(f"/supervision/inspections/{visit_id}?done=submitted", status_code=303)


@router.post("/{visit_id}/items/{item_code}/task")
def make_task(
    request: Request,
    visit_id: int,
    item_code: str,
    due_days: Annotated[int, Form(ge=1, le=90)] = inspections.DEFAULT_TASK_DAYS,
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        inspections.failed_item_to_task(
            session, principal.actor, visit_id, item_code, utcnow(), due_days=due_days
        )
    except ManyiError as exc:
        session.rollback()
        return _page(
            request, principal, session, visit_id, error=exc.text(_), status=exc.status_code
        )
    return RedirectResponse(
        f"/supervision/inspections/{visit_id}?done=task#item-{item_code}", status_code=303
    )
